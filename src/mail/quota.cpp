#include "mail/quota.hpp"

#include <charconv>
#include <string>

#include "base/error.hpp"

namespace ximssd::mail {

std::optional<uint64_t> QuotaService::limit_kib(int64_t account_id) {
  uint64_t limit = default_kib_;
  if (auto setting = accounts_.setting(account_id, "QuotaStorage")) {
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(setting->data(), setting->data() + setting->size(), value);
    if (ec == std::errc() && end == setting->data() + setting->size()) limit = value;
  }
  if (limit == 0) return std::nullopt;
  return limit;
}

uint64_t QuotaService::used_bytes(int64_t account_id) {
  auto& db = store_.reader();
  uint64_t total = 0;
  for (const auto& mailbox : db.list_mailboxes(account_id))
    total += static_cast<uint64_t>(db.mailbox_stats(mailbox.id).size);
  return total;
}

QuotaUsage QuotaService::usage(int64_t account_id) {
  return QuotaUsage{(used_bytes(account_id) + 1023) / 1024, limit_kib(account_id)};
}

void QuotaService::check(int64_t account_id, uint64_t bytes) {
  auto limit = limit_kib(account_id);
  if (!limit) return;
  if (used_bytes(account_id) + bytes > *limit * 1024)
    throw Failure(ErrorCode::limitExceeded, "the account's storage quota (" + std::to_string(*limit) +
                                                " KiB) would be exceeded");
}

}  // namespace ximssd::mail
