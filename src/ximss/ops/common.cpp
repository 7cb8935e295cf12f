// Pieces shared by several operation files (see common.hpp).
#include "ximss/ops/common.hpp"

#include "base/text.hpp"
#include "base/time_format.hpp"

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

int64_t number_attr(const Request& r, const char* name) {
  auto value = parse_decimal(r.required(name));
  if (!value) throw Failure(ErrorCode::badRequest, std::string(name) + " is not a number: " + std::string(r.attr(name)));
  return *value;
}

mail::FolderView& folder_view(Request& r) {
  std::string folder(r.required("folder"));
  auto& folders = r.session().folders;
  auto it = folders.find(folder);
  if (it == folders.end()) throw Failure(ErrorCode::notFound, "unknown folder view: " + folder);
  return it->second;
}

mime::ComposeOptions compose_options(Request& r) {
  mime::ComposeOptions options;
  Session& session = r.session();
  options.find_upload = [&session](std::string_view id) -> const mime::UploadedFile* {
    auto it = session.uploads.find(std::string(id));
    return it == session.uploads.end() ? nullptr : &it->second;
  };
  options.find_message = [&r, &session](std::string_view folder, int64_t uid) {
    auto it = session.folders.find(std::string(folder));
    if (it == session.folders.end()) throw Failure(ErrorCode::notFound, "unknown folder view: " + std::string(folder));
    return r.ctx.messages.message_text(r.ctx.messages.message(actor_of(r), it->second, uid));
  };
  options.host = r.ctx.default_domain;
  options.now = now_epoch_seconds();
  return options;
}

mail::Actor actor_of(const Request& r) { return actor_of(r.session()); }

mail::Actor actor_of(const Session& session) {
  const auto& account = session.account();
  return mail::Actor{account.id, mail::Identity{ascii_lower(account.name), ascii_lower(account.domain)}};
}

}  // namespace ximssd::ximss::ops
