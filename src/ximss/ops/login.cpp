// login (cleartext and SASL) and auth, the SASL continuation. A SASL login sends `challenge`
// (without an id, as the seed shows) and waits for `auth` with the login's id.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "base/base64.hpp"
#include "base/run_blocking.hpp"
#include "base/text.hpp"
#include "mail/credentials.hpp"
#include "ximss/dispatch.hpp"
#include "ximss/ops/common.hpp"

namespace ximssd::ximss {

namespace {

using boost::asio::awaitable;
constexpr std::string_view kServerVersion = "6.1";

awaitable<void> wait_throttle(Request& r, const std::string& claimed) {
  auto delay = r.ctx.throttle.delay_for(ascii_lower(claimed), r.conn.peer_ip);
  if (delay.count() == 0) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

awaitable<void> finish_login(Request& r, const store::AccountRecord& account) {
  r.ctx.throttle.record_success(ascii_lower(account.address()));
  co_await r.ctx.accounts.record_login(account.id, r.conn.peer_ip);
  auto session = r.ctx.sessions.create(account, r.conn.peer_ip, r.ctx.settings.idle_timeout);
  if (!r.conn.sasl_version.empty()) session->client_version = r.conn.sasl_version;
  r.conn.session = session;
  spdlog::info("ximss: login {} from {} session {}", account.address(), r.conn.peer_ip, log_name(session->url_id()));
  ops::write_session_message(r);
}

// Always throws authenticationFailed, after recording the failure.
awaitable<void> fail_login(Request& r, const std::string& claimed,
                                        const std::optional<store::AccountRecord>& account) {
  std::string key = ascii_lower(claimed);
  r.ctx.throttle.record_failure(key, r.conn.peer_ip);
  spdlog::warn("ximss: failed login for '{}' from {}", claimed, r.conn.peer_ip);
  if (account) co_await r.ctx.accounts.record_failed_login(account->id, r.conn.peer_ip);
  throw Failure(ErrorCode::authenticationFailed, "incorrect user name or password");
}

awaitable<void> continue_sasl(Request& r, std::string client_data, bool present) {
  auto* exchange = r.conn.sasl.get();
  if (present) co_await wait_throttle(r, "");
  auto step = co_await run_blocking(r.ctx.blocking, [&] { return exchange->step(client_data, present); });
  using Kind = mail::SaslExchange::Step::Kind;
  if (step.kind == Kind::challenge) {
    r.message("challenge")->attr("value", base64_encode(step.data));
    r.send_response = false;
    co_return;
  }
  auto exchange_owner = std::move(r.conn.sasl);
  if (step.kind == Kind::failure || !exchange->account())
    co_await fail_login(r, exchange->claimed_name(), exchange->account());
  co_await finish_login(r, *exchange->account());
}

// Cleartext passwords travel only over TLS or loopback (unless configured otherwise); checked
// before anything else of the request is read.
void require_cleartext_allowed(const Request& r) {
  if (!r.conn.secure(r.ctx.settings) && !r.ctx.settings.cleartext_on_insecure)
    throw Failure(ErrorCode::encryptionRequired,
                  "cleartext login is not allowed on an insecure connection: use starttls or a SASL method");
}

awaitable<void> login_with_password(Request& r, const std::string& domain, std::string claimed,
                                    std::string password) {
  co_await wait_throttle(r, claimed);
  auto account = r.ctx.sasl.resolve(claimed, domain);
  if (!account || password.empty() || !co_await r.ctx.accounts.check_password(*account, password))
    co_await fail_login(r, claimed, account);
  co_await finish_login(r, *account);
}

awaitable<void> login(Request& r) {
  std::string domain = ops::target_domain(r);
  r.conn.sasl_version = r.attr("version");
  std::string_view method = r.attr("method");
  bool secure = r.conn.secure(r.ctx.settings);
  if (method.empty()) {
    require_cleartext_allowed(r);
    co_await login_with_password(r, domain, std::string(r.required("authData")), std::string(r.attr("password")));
    co_return;
  }
  r.conn.sasl = r.ctx.sasl.start(method, secure, domain);
  if (!r.conn.sasl) {
    if (iequals(method, "PLAIN"))
      throw Failure(ErrorCode::encryptionRequired, "PLAIN is not allowed on an insecure connection");
    throw Failure(ErrorCode::badRequest, "unsupported SASL method: " + std::string(method));
  }
  r.conn.sasl_id = r.id;
  bool present = r.has_attr("authData");
  auto initial = base64_decode(r.attr("authData"));
  if (!initial) {
    r.conn.sasl.reset();
    throw Failure(ErrorCode::badRequest, "authData is not base64");
  }
  co_await continue_sasl(r, std::move(*initial), present);
}

awaitable<void> auth(Request& r) {
  if (!r.conn.sasl || r.conn.sasl_id != r.id)
    throw Failure(ErrorCode::badRequest, "no SASL exchange is in progress for this id");
  std::string_view value = r.attr("value");
  if (value == "*") {
    r.conn.sasl.reset();
    throw Failure(ErrorCode::authenticationFailed, "authentication cancelled");
  }
  auto data = base64_decode(value);
  if (!data) {
    r.conn.sasl.reset();
    throw Failure(ErrorCode::badRequest, "value is not base64");
  }
  co_await continue_sasl(r, std::move(*data), true);
}

const Operation kOperations[] = {
    {"login", login, Access::before_login},
    {"auth", auth, Access::anytime},
};

}  // namespace

std::span<const Operation> login_operations() { return kOperations; }

namespace ops {

awaitable<void> login_cleartext(Request& r, std::string user, std::string password) {
  require_cleartext_allowed(r);
  std::string domain = target_domain(r);
  co_await login_with_password(r, domain, std::move(user), std::move(password));
}

awaitable<void> login_cram_nonce(Request& r, std::string user, std::string nonce, std::string_view auth_data) {
  std::string domain = target_domain(r);
  co_await wait_throttle(r, user);
  auto account = r.ctx.sasl.resolve(user, domain);
  // authData is the base64 of the hex digest, or of "user digest" as CRAM-MD5 sends it.
  auto decoded = base64_decode(auth_data);
  std::string digest = decoded ? *decoded : std::string();
  if (auto space = digest.rfind(' '); space != std::string::npos) digest.erase(0, space + 1);
  bool fresh = r.ctx.nonces.consume(nonce);
  if (!account || !fresh || digest.empty() || !mail::verify_cram_md5(account->cram_md5_secret, nonce, digest))
    co_await fail_login(r, user, account);
  co_await finish_login(r, *account);
}

void write_session_message(Request& r) {
  const Session& s = r.session();
  auto m = r.data("session");
  m->attr("urlID", s.url_id());
  m->attr("userName", s.account().address());
  m->attr_if("realName", s.account().real_name);
  m->attr("version", kServerVersion);
}

}  // namespace ops
}  // namespace ximssd::ximss
