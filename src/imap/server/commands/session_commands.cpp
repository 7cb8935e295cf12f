// Commands of any state and of the not-authenticated state (RFC 3501 sections 6.1 and 6.2), and
// the session-wide extensions: ID (RFC 2971), ENABLE (RFC 5161), COMPRESS (RFC 4978),
// IDLE (RFC 2177), NAMESPACE (RFC 2342).
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "base/base64.hpp"
#include "base/run_blocking.hpp"
#include "base/text.hpp"
#include "imap/response_text.hpp"
#include "imap/server/command.hpp"
#include "imap/server/dispatch.hpp"

namespace ximssd::imap {

namespace {

using boost::asio::awaitable;

bool secure(const CommandContext& c) {
  return c.session.tls_active || (c.session.loopback && c.ctx.settings.loopback_is_secure);
}
bool cleartext_allowed(const CommandContext& c) { return secure(c) || c.ctx.settings.cleartext_on_insecure; }

void capability(CommandContext& c) {
  c.args.expect_end();
  c.untagged("CAPABILITY " + capabilities(c.ctx, c.session));
}

void noop(CommandContext& c) { c.args.expect_end(); }

void logout(CommandContext& c) {
  c.args.expect_end();
  c.untagged("BYE ximssd logging out");
  c.session.selected.reset();
  c.session.state = ImapState::logout;
  c.after = CommandContext::After::close;
}

void starttls(CommandContext& c) {
  c.args.expect_end();
  if (!c.ctx.tls) throw Failure(ErrorCode::unavailable, "TLS is not configured");
  if (c.session.tls_active) throw SyntaxError("TLS is already active", 0);
  c.text = "Begin TLS negotiation now";
  c.after = CommandContext::After::start_tls;
}

awaitable<void> wait_throttle(CommandContext& c, const std::string& claimed) {
  auto delay = c.ctx.throttle.delay_for(ascii_lower(claimed), c.session.peer_ip);
  if (delay.count() == 0) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

awaitable<void> logged_in(CommandContext& c, const store::AccountRecord& account) {
  c.ctx.throttle.record_success(ascii_lower(account.address()));
  co_await c.ctx.accounts.record_login(account.id, c.session.peer_ip);
  c.session.account = account;
  c.session.actor = mail::Actor{account.id, mail::Identity{ascii_lower(account.name), ascii_lower(account.domain)}};
  c.session.state = ImapState::authenticated;
  c.code = "CAPABILITY " + capabilities(c.ctx, c.session);
  c.text = "Logged in";
  spdlog::info("imap: login {} from {}", account.address(), c.session.peer_ip);
}

// Always throws, after recording the failure.
awaitable<void> failed(CommandContext& c, const std::string& claimed, const std::optional<store::AccountRecord>& account) {
  c.ctx.throttle.record_failure(ascii_lower(claimed), c.session.peer_ip);
  spdlog::warn("imap: failed login for '{}' from {}", claimed, c.session.peer_ip);
  if (account) co_await c.ctx.accounts.record_failed_login(account->id, c.session.peer_ip);
  throw Failure(ErrorCode::authenticationFailed, "Authentication failed");
}

awaitable<void> login(CommandContext& c) {
  c.args.sp();
  std::string user = c.args.astring();
  c.args.sp();
  std::string password = c.args.astring();
  c.args.expect_end();
  if (!cleartext_allowed(c)) {
    c.code = "PRIVACYREQUIRED";
    throw Failure(ErrorCode::encryptionRequired, "LOGIN is disabled before STARTTLS");
  }
  co_await wait_throttle(c, user);
  auto account = c.ctx.sasl.resolve(user, c.ctx.default_domain);
  if (!account || password.empty() || !co_await c.ctx.accounts.check_password(*account, password))
    co_await failed(c, user, account);
  co_await logged_in(c, *account);
}

// One SASL step with the client's data; sends the next challenge or completes the command.
awaitable<void> sasl_step(CommandContext& c, std::string data, bool present) {
  auto* exchange = c.session.sasl.get();
  if (present) co_await wait_throttle(c, "");
  auto step = co_await run_blocking(c.ctx.blocking, [&] { return exchange->step(data, present); });
  using Kind = mail::SaslExchange::Step::Kind;
  if (step.kind == Kind::challenge) {
    c.out += "+ " + base64_encode(step.data) + "\r\n";
    c.respond = false;
    co_return;
  }
  auto owner = std::move(c.session.sasl);
  if (step.kind == Kind::failure || !exchange->account()) co_await failed(c, exchange->claimed_name(), exchange->account());
  co_await logged_in(c, *exchange->account());
}

awaitable<void> authenticate(CommandContext& c) {
  c.args.sp();
  std::string mechanism(c.args.atom());
  std::optional<std::string> initial;  // SASL-IR; "=" is an empty one
  // A trailing space with nothing after it is read as no initial response: mutt sends
  // "AUTHENTICATE CRAM-MD5 " to servers that advertise SASL-IR.
  if (c.args.accept(' ') && !c.args.at_end()) {
    std::string_view given = c.args.atom();
    initial = given == "=" ? std::string() : std::string(given);
  }
  c.args.expect_end();
  c.session.sasl = c.ctx.sasl.start(mechanism, secure(c), c.ctx.default_domain);
  if (!c.session.sasl) {
    if (iequals(mechanism, "PLAIN")) {
      c.code = "PRIVACYREQUIRED";
      throw Failure(ErrorCode::encryptionRequired, "PLAIN is not allowed before STARTTLS");
    }
    throw Failure(ErrorCode::badRequest, "unsupported authentication mechanism " + mechanism);
  }
  c.session.sasl_tag = c.tag;
  std::string data;
  if (initial) {
    auto decoded = base64_decode(*initial);
    if (!decoded) {
      c.session.sasl.reset();
      throw SyntaxError("initial response is not base64", 0);
    }
    data = std::move(*decoded);
  }
  co_await sasl_step(c, std::move(data), initial.has_value());
}

void id(CommandContext& c) {
  c.args.sp();
  if (!c.args.accept_word("NIL")) {
    // Read (and bound) the client's parameter list; ximssd logs nothing from it.
    c.args.list_begin();
    for (int n = 0; !c.args.accept_list_end(); ++n) {
      if (n > 0) c.args.sp();
      if (n >= 60) throw SyntaxError("too many ID parameters", c.args.offset());
      c.args.string();
      c.args.sp();
      c.args.nstring();
    }
  }
  c.args.expect_end();
  c.untagged("ID (\"name\" \"ximssd\" \"version\" \"0.1.0\" \"vendor\" \"ximssd\")");
}

void enable(CommandContext& c) {
  std::string enabled;
  do {
    c.args.sp();
    std::string cap(c.args.atom());
    if (iequals(cap, "CONDSTORE") && !c.session.condstore) {
      c.session.condstore = true;
      enabled += " CONDSTORE";
    } else if (iequals(cap, "QRESYNC") && !c.session.qresync) {
      // QRESYNC implies CONDSTORE (RFC 7162 3.2.3); ENABLED names what was asked for.
      c.session.qresync = true;
      c.session.condstore = true;
      enabled += " QRESYNC";
    }
  } while (!c.args.at_end());
  c.untagged("ENABLED" + enabled);
}

void compress(CommandContext& c) {
  c.args.sp();
  std::string method(c.args.atom());
  c.args.expect_end();
  if (!iequals(method, "DEFLATE")) throw SyntaxError("unknown compression method " + method, 0);
  if (c.session.compressed) {
    c.code = "COMPRESSIONACTIVE";
    throw Failure(ErrorCode::badRequest, "compression is already active");
  }
  c.session.compressed = true;
  c.text = "DEFLATE active";
  c.after = CommandContext::After::compress;
}

void idle(CommandContext& c) {
  c.args.expect_end();
  c.out += "+ idling\r\n";
  if (c.session.selected)
    c.session.selected->sync(c.out, SyncOptions{true, c.session.condstore, c.session.qresync});
  c.session.idle_tag = c.tag;
  c.respond = false;
}

void namespace_(CommandContext& c) {
  c.args.expect_end();
  c.untagged("NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) NIL");
}

const CommandSpec kCommands[] = {
    {"CAPABILITY", nullptr, capability, kAnyState},
    {"NOOP", nullptr, noop, kAnyState},
    {"LOGOUT", nullptr, logout, kAnyState},
    {"ID", nullptr, id, kAnyState},
    {"STARTTLS", nullptr, starttls, kNotAuthenticated},
    {"LOGIN", login, nullptr, kNotAuthenticated},
    {"AUTHENTICATE", authenticate, nullptr, kNotAuthenticated},
    {"ENABLE", nullptr, enable, kLoggedIn},
    {"COMPRESS", nullptr, compress, kAnyState},
    {"IDLE", nullptr, idle, kLoggedIn},
    {"NAMESPACE", nullptr, namespace_, kLoggedIn},
};

}  // namespace

std::span<const CommandSpec> session_commands() { return kCommands; }

std::string capabilities(const ImapContext& ctx, const ImapSession& session) {
  std::string caps = "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE";
  bool is_secure = session.tls_active || (session.loopback && ctx.settings.loopback_is_secure);
  if (!session.logged_in()) {
    if (ctx.tls && !session.tls_active) caps += " STARTTLS";
    if (!is_secure && !ctx.settings.cleartext_on_insecure) caps += " LOGINDISABLED";
    for (const auto& m : ctx.sasl.mechanisms(is_secure || ctx.settings.cleartext_on_insecure)) {
      if (m == "PLAIN" || m == "CRAM-MD5") caps += " AUTH=" + m;
    }
  } else {
    caps += " NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE LIST-EXTENDED LIST-STATUS CONDSTORE QRESYNC ESEARCH SEARCHRES"
            " WITHIN SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES ACL RIGHTS=texk QUOTA"
            " QUOTA=RES-STORAGE APPENDLIMIT=" +
            std::to_string(ctx.settings.max_literal);
  }
  if (!session.compressed) caps += " COMPRESS=DEFLATE";
  return caps;
}

awaitable<void> continue_authenticate(CommandContext& c, std::string_view line) {
  std::exception_ptr error;
  try {
    if (line == "*") {
      c.session.sasl.reset();
      c.status = "BAD";
      c.text = "AUTHENTICATE cancelled";
      co_return;
    }
    auto decoded = base64_decode(line);
    if (!decoded) {
      c.session.sasl.reset();
      throw SyntaxError("response is not base64", 0);
    }
    co_await sasl_step(c, std::move(*decoded), true);
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    c.session.sasl.reset();
    complete_with_error(c, error);
  }
}

}  // namespace ximssd::imap
