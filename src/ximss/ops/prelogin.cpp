// Operations available before login: listFeatures, readStrings, starttls, recoverPassword,
// signup, plus noop and bye which work at any time.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include "base/random.hpp"
#include "base/text.hpp"
#include "base/time_format.hpp"
#include "delivery/queue/password_reset_mail.hpp"
#include "ximss/dispatch.hpp"
#include "ximss/ops/common.hpp"
#include "ximss/strings_dictionary.hpp"

namespace ximssd::ximss {

namespace {

using boost::asio::awaitable;

awaitable<void> noop(Request&) { co_return; }

awaitable<void> bye(Request& r) {
  r.conn.after = ConnectionState::After::close;
  co_return;
}

awaitable<void> list_features(Request& r) {
  std::string domain = ops::target_domain(r);
  bool secure = r.conn.secure(r.ctx.settings);
  auto m = r.data("features");
  m->element("domain", domain);
  for (const auto& mech : r.ctx.sasl.mechanisms(secure)) m->element("sasl", mech);
  if (r.conn.tls_available && !r.conn.tls_active) m->open("starttls").close();
  m->element("nonce", r.ctx.nonces.issue());
  m->element("language", r.ctx.strings.default_language());
  auto record = r.ctx.accounts.find_domain(domain);
  if (record && record->signup_allowed) m->open("signup").close();
  co_return;
}

awaitable<void> read_strings(Request& r) {
  std::string language(r.attr("language"));
  if (language.empty())
    language = r.conn.session ? ops::account_setting(r, "Language", r.ctx.strings.default_language())
                              : r.ctx.strings.default_language();
  const auto& dict = r.ctx.strings.find(language);
  std::optional<SysSeconds> since;
  if (r.has_attr("timeModified")) {
    since = parse_ximss_time(r.attr("timeModified"));
    if (!since) throw Failure(ErrorCode::badRequest, "timeModified is not a date-time (YYYYMMDDTHHMMSS)");
  }
  auto m = r.data("strings");
  m->attr("skinName", r.attr("skinName"));
  m->attr("language", dict.language);
  m->attr("timeModified", format_ximss_time(dict.modified));
  if (!since || dict.modified > *since) m->raw(dict.content);
  co_return;
}

awaitable<void> starttls(Request& r) {
  ops::target_domain(r);
  if (r.conn.tls_active) throw Failure(ErrorCode::badRequest, "TLS is already active");
  if (!r.conn.tls_available) throw Failure(ErrorCode::unavailable, "TLS is not configured on this server");
  r.conn.after = ConnectionState::After::start_tls;
  co_return;
}

// Mails a one-time password-reset link to the account's recovery address, when the account
// exists, has one, and got no link in the last minute. Nothing else happens otherwise.
awaitable<void> send_reset_link(Request& r, const std::string& name, const std::string& domain) {
  auto account = r.ctx.accounts.find_account(name, domain);
  if (!account || account->recovery_email.empty()) co_return;
  if (r.ctx.password_reset->recently_issued(account->id)) co_return;
  std::string token = co_await r.ctx.password_reset->issue(account->id);
  delivery::PasswordResetMail mail{"postmaster@" + account->domain, account->recovery_email, account->address(),
                                   r.ctx.password_reset_url + "?token=" + token, r.ctx.host_name, now_epoch_seconds()};
  // Sent with the null reverse-path: a bounce of it helps nobody.
  delivery::Envelope envelope;
  envelope.recipients.push_back(delivery::Recipient{account->recovery_email, false, false, {}});
  std::string id = co_await r.ctx.submitter->submit(std::move(envelope), delivery::build_password_reset_mail(mail),
                                                     delivery::Source::generated);
  spdlog::info("ximss: password reset link for {} sent to {} ({}) at the request of {}", account->address(),
               account->recovery_email, id, r.conn.peer_ip);
}

// The response is the same whether or not the account exists or has a recovery address, and
// comes after the same delay (recover_delay from the request's start), so that the operation
// cannot be used to learn which accounts exist (docs/SECURITY.md).
awaitable<void> recover_password(Request& r) {
  auto started = std::chrono::steady_clock::now();
  std::string domain = ops::target_domain(r);
  auto [name, at_domain] = split_address(r.required("userName"));
  if (!at_domain.empty()) domain = at_domain;
  if (!r.ctx.submitter || !r.ctx.password_reset)
    throw Failure(ErrorCode::unavailable, "mail sending is not configured on this server");
  std::string error;
  try {
    co_await send_reset_link(r, name, domain);
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!error.empty()) spdlog::error("ximss: recoverPassword for {}@{} failed: {}", name, domain, error);
  boost::asio::steady_timer delay(co_await boost::asio::this_coro::executor);
  delay.expires_at(started + r.ctx.recover_delay);
  co_await delay.async_wait(boost::asio::use_awaitable);
}

awaitable<void> signup(Request& r) {
  std::string domain = ops::target_domain(r);
  auto record = r.ctx.accounts.find_domain(domain);
  if (!record || !record->signup_allowed)
    throw Failure(ErrorCode::permissionDenied, "signup is not allowed in domain " + domain);
  mail::NewAccount account;
  auto [name, at_domain] = split_address(r.required("userName"));
  if (!at_domain.empty() && !iequals(at_domain, domain))
    throw Failure(ErrorCode::badRequest, "userName names another domain");
  account.name = name;
  account.domain = record->name;
  account.password = r.attr("password");
  account.real_name = r.attr("realName");
  account.recovery_email = r.attr("recoverPassword");
  auto created = co_await r.ctx.accounts.signup(std::move(account));
  spdlog::info("ximss: signup created {} from {}", created.address(), r.conn.peer_ip);
}

const Operation kOperations[] = {
    {"noop", noop, Access::anytime},
    {"bye", bye, Access::anytime},
    {"readStrings", read_strings, Access::anytime},
    {"listFeatures", list_features, Access::before_login},
    {"starttls", starttls, Access::before_login},
    {"recoverPassword", recover_password, Access::before_login},
    {"signup", signup, Access::before_login},
};

}  // namespace

std::span<const Operation> prelogin_operations() { return kOperations; }

}  // namespace ximssd::ximss
