// Pieces shared by several operation files (see common.hpp).
#include "ximss/ops/common.hpp"

#include "base/text.hpp"

namespace ximssd::ximss::ops {

std::string target_domain(Request& r) {
  std::string_view requested = r.attr("domain");
  if (!requested.empty()) {
    auto record = r.ctx.accounts.find_domain(requested);
    if (!record) throw Failure(ErrorCode::notFound, "unknown domain: " + std::string(requested));
    r.conn.target_domain = record->name;
  }
  return r.conn.target_domain.empty() ? r.ctx.default_domain : r.conn.target_domain;
}

std::string account_setting(Request& r, const char* key, std::string fallback) {
  auto value = r.ctx.accounts.setting(r.session().account().id, key);
  return value && !value->empty() ? *value : std::move(fallback);
}

mail::Actor actor_of(const Request& r) {
  const auto& account = r.session().account();
  return mail::Actor{account.id, mail::Identity{ascii_lower(account.name), ascii_lower(account.domain)}};
}

}  // namespace ximssd::ximss::ops
