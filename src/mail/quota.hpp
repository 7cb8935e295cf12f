// Storage quotas (IMAP QUOTA, RFC 9208 resource STORAGE): each account may hold up to a limit of
// message bytes over all its mailboxes. The limit is the account setting "QuotaStorage" (KiB)
// when set, else the server's default (imap.quota_kib); 0 means none.
#pragma once

#include <cstdint>
#include <optional>

#include "mail/account_service.hpp"
#include "store/store.hpp"

namespace ximssd::mail {

struct QuotaUsage {
  uint64_t used_kib = 0;
  std::optional<uint64_t> limit_kib;  // none: no quota applies
};

class QuotaService {
 public:
  QuotaService(store::Store& store, AccountService& accounts, uint64_t default_kib)
      : store_(store), accounts_(accounts), default_kib_(default_kib) {}

  std::optional<uint64_t> limit_kib(int64_t account_id);
  uint64_t used_bytes(int64_t account_id);
  QuotaUsage usage(int64_t account_id);
  // Throws Failure(limitExceeded, "... quota ...") when adding `bytes` would pass the limit.
  void check(int64_t account_id, uint64_t bytes);

 private:
  store::Store& store_;
  AccountService& accounts_;
  uint64_t default_kib_;
};

}  // namespace ximssd::mail
