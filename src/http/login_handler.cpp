// /XIMSSLogin/: logging in over HTTP. The credentials come in the query (userName with
// password, or with nonce and authData for CRAM-MD5), in an HTTP Basic header, or as a live
// session's id (sessionid, optionally killOld); a POSTed <XIMSS> body of pre-login requests
// (listFeatures for the nonce, readStrings, signup...) is run without a session. On success the
// body is <XIMSS><session urlID=.../></XIMSS>; on failure, with errorAsXML, a <response> with
// the error, else status 401.
#include <boost/beast/http/field.hpp>
#include <spdlog/spdlog.h>

#include "base/base64.hpp"
#include "base/random.hpp"
#include "base/text.hpp"
#include "http/http_context.hpp"
#include "http/ximss_batch.hpp"
#include "ximss/message_runner.hpp"
#include "ximss/ops/common.hpp"

namespace ximssd::http {

namespace {

using boost::asio::awaitable;

struct Credentials {
  std::string user, password, nonce, auth_data, session_id;
};

// "Basic base64(user:password)" from the Authorization header.
bool read_basic(const HttpRequest& request, Credentials& out) {
  auto it = request.find(beast_http::field::authorization);
  if (it == request.end()) return false;
  std::string_view value = it->value();
  if (value.size() < 6 || !iequals(value.substr(0, 6), "Basic ")) return false;
  auto decoded = base64_decode(trim_whitespace(value.substr(6)));
  if (!decoded) return false;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  out.user = decoded->substr(0, colon);
  out.password = decoded->substr(colon + 1);
  return true;
}

HttpResponse failure(const HttpRequest& request, const RequestTarget& target, const Failure& error) {
  if (!target.flag("errorAsXML")) {
    auto response = error_response(request, beast_http::status::unauthorized, error.what());
    response.set(beast_http::field::www_authenticate, "Basic realm=\"ximssd\", charset=\"UTF-8\"");
    return response;
  }
  std::string reply;
  ximss::MessageOutput out(reply, false);
  ximss::write_response(out, "", &error, -1);
  return xml_response(request, ximss_envelope(reply));
}

ximss::ConnectionState fresh_state(const Peer& peer) {
  ximss::ConnectionState state;
  state.peer_ip = peer.ip;
  state.loopback = peer.loopback;
  state.tls_active = peer.tls;
  state.tls_available = false;  // STARTTLS has no meaning here: HTTPS is its own port
  return state;
}

// Binds the session the state now holds and answers with its `session` message (`output`).
HttpResponse logged_in(HttpContext& ctx, const HttpRequest& request, const RequestTarget& target,
                       ximss::ConnectionState state, std::string output) {
  bool ip_watch = !target.flag("DisableIPWatch");
  bool use_cookie = target.flag("EnableUseCookie") && !target.flag("DisableUseCookie");
  // The cookie is named after the session's counter, so that sessions in one browser keep
  // their own cookies; its value is the secret.
  std::string cookie;
  if (use_cookie) {
    const std::string& url_id = state.session->url_id();
    cookie = "ximss_" + url_id.substr(0, url_id.find('-')) + "=" + random_alnum(32);
  }
  auto binding = ctx.sessions.bind(std::move(state), ip_watch, cookie);
  auto response = xml_response(request, ximss_envelope(output));
  if (use_cookie)
    response.set(beast_http::field::set_cookie,
                 cookie + "; Path=/Session/" + binding->session()->url_id() + "/; HttpOnly; SameSite=Strict" +
                     (binding->state().tls_active ? "; Secure" : ""));
  return response;
}

// A POSTed batch without credentials: pre-login requests (a `login` among them logs in).
awaitable<HttpResponse> run_prelogin_batch(HttpContext& ctx, const HttpRequest& request, const RequestTarget& target,
                                           const Peer& peer) {
  auto batch = read_batch(request.body(), ctx.ximss.settings.max_depth);
  if (!batch.doc) co_return xml_response(request, ximss_envelope(batch.error));
  std::string reply;
  ximss::MessageOutput out(reply, false);
  auto state = fresh_state(peer);
  for (auto child : batch.doc->root.children()) {
    if (child.type() != pugi::node_element) continue;
    // A SASL exchange needs a connection to continue on: over HTTP only `login` with a password.
    if (std::string_view(child.name()) == "login" && child.attribute("method")) {
      ximss::write_protocol_error(out, ErrorCode::badRequest,
                                  "SASL methods need a connection: use nonce and authData in the login URL",
                                  child.attribute("id").value());
      continue;
    }
    co_await ximss::run_element(ctx.ximss, state, child, out, false);
    if (state.session) break;
  }
  if (state.session) co_return logged_in(ctx, request, target, std::move(state), std::move(reply));
  co_return xml_response(request, ximss_envelope(reply));
}

// sessionid=S: the live session S of this client is confirmed (its `session` message again);
// with killOld it is ended and a new session of the same account takes its place.
awaitable<HttpResponse> resume(HttpContext& ctx, const HttpRequest& request, const RequestTarget& target,
                               const Peer& peer, const std::string& session_id) {
  auto old = ctx.sessions.find(session_id);
  auto session = old ? old->session() : nullptr;
  if (!session || old->ended() || !session->reachable_from(peer.ip))
    co_return failure(request, target, Failure(ErrorCode::authenticationFailed, "unknown or expired session"));
  bool kill_old = target.flag("killOld");
  auto state = fresh_state(peer);
  if (kill_old) {
    state.session = ctx.ximss.sessions.create(session->account(), peer.ip, ctx.ximss.settings.idle_timeout);
    state.session->client_version = session->client_version;
    ctx.sessions.end(session_id);
    spdlog::info("http: session {} replaced by {}", ximss::log_name(session_id),
                 ximss::log_name(state.session->url_id()));
  } else {
    state.session = session;
  }
  std::string reply;
  ximss::MessageOutput out(reply, false);
  ximss::Request r{ctx.ximss, state, pugi::xml_node(), "", out};
  ximss::ops::write_session_message(r);
  if (!kill_old) co_return xml_response(request, ximss_envelope(reply));
  co_return logged_in(ctx, request, target, std::move(state), std::move(reply));
}

}  // namespace

awaitable<HttpResponse> handle_login(HttpContext& ctx, const HttpRequest& request, const RequestTarget& target,
                                     const Peer& peer) {
  if (request.method() != beast_http::verb::get && request.method() != beast_http::verb::post)
    co_return error_response(request, beast_http::status::method_not_allowed, "use GET or POST");
  Credentials c;
  if (auto v = target.param("userName")) c.user = *v;
  if (auto v = target.param("password")) c.password = *v;
  if (auto v = target.param("nonce")) c.nonce = *v;
  if (auto v = target.param("authData")) c.auth_data = *v;
  if (auto v = target.param("sessionid")) c.session_id = *v;
  if (c.user.empty() && c.session_id.empty()) read_basic(request, c);

  if (!c.session_id.empty()) co_return co_await resume(ctx, request, target, peer, c.session_id);
  if (c.user.empty()) {
    if (request.method() == beast_http::verb::post && !request.body().empty())
      co_return co_await run_prelogin_batch(ctx, request, target, peer);
    co_return failure(request, target, Failure(ErrorCode::authenticationFailed, "userName is required"));
  }

  auto state = fresh_state(peer);
  std::string reply;
  ximss::MessageOutput out(reply, false);
  ximss::Request r{ctx.ximss, state, pugi::xml_node(), "", out};
  if (auto v = target.param("version")) state.sasl_version = *v;
  try {
    if (!c.nonce.empty() || (!c.auth_data.empty() && c.password.empty()))
      co_await ximss::ops::login_cram_nonce(r, c.user, c.nonce, c.auth_data);
    else
      co_await ximss::ops::login_cleartext(r, c.user, c.password);
  } catch (const Failure& error) {
    co_return failure(request, target, error);
  }
  co_return logged_in(ctx, request, target, std::move(state), std::move(reply));
}

}  // namespace ximssd::http
