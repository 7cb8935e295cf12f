// Which handler a request goes to: /XIMSSLogin/, /Session/<urlID>/..., or a file of the
// built-in web client. A session URL is honoured only for a live session, from the client
// address it was bound to (unless DisableIPWatch) and with its cookie (when it has one);
// anything else is status 550, "the session is gone", which is all a stranger learns.
#include <boost/beast/http/field.hpp>

#include "base/text.hpp"
#include "http/http_context.hpp"

namespace ximssd::http {

namespace {

// True when the request's Cookie header carries `cookie` ("name=value") exactly.
bool has_cookie(const HttpRequest& request, std::string_view cookie) {
  for (const auto& field : request) {
    if (field.name() != beast_http::field::cookie) continue;
    std::string_view header = field.value();
    while (!header.empty()) {
      size_t semicolon = header.find(';');
      std::string item = trim_whitespace(header.substr(0, semicolon));
      if (item == cookie) return true;
      if (semicolon == std::string_view::npos) break;
      header.remove_prefix(semicolon + 1);
    }
  }
  return false;
}

}  // namespace

boost::asio::awaitable<HttpResponse> handle_request(HttpContext& ctx, const HttpRequest& request, const Peer& peer) {
  auto target = parse_target(request.target());
  if (!target) co_return error_response(request, beast_http::status::bad_request, "malformed query");
  auto segments = decode_segments(target->path);
  if (!segments) co_return error_response(request, beast_http::status::bad_request, "malformed path");
  const auto& first = segments->front();

  if (iequals(first, "XIMSSLogin")) {
    if (segments->size() > 2 || (segments->size() == 2 && !(*segments)[1].empty()))
      co_return error_response(request, beast_http::status::not_found, "no such page");
    co_return co_await handle_login(ctx, request, *target, peer);
  }

  if (first == "PasswordReset" && segments->size() == 1) co_return co_await handle_password_reset(ctx, request, *target);

  if (first == "Session") {
    if (segments->size() < 2) co_return session_gone(request);
    auto session = ctx.ximss.sessions.find((*segments)[1]);
    if (!session || session->killed() || !session->reachable_from(peer.ip)) co_return session_gone(request);
    if (!session->cookie.empty() && !has_cookie(request, session->cookie)) co_return session_gone(request);
    // Any request of an HTTP session keeps it alive.
    if (auto binding = ctx.sessions.find(session->url_id())) binding->touch();
    std::vector<std::string> rest(segments->begin() + 2, segments->end());
    std::string_view action = rest.size() == 1 ? std::string_view(rest.front()) : std::string_view();
    if (rest.size() <= 1 &&
        (action.empty() || action == "get" || action == "sync" || action == "async" || action == "KILL"))
      co_return co_await handle_session_request(ctx, request, *target, std::move(session), action);
    co_return co_await handle_session_url(ctx, request, *target, std::move(session), rest);
  }

  if (segments->size() == 1) co_return serve_static_file(request, first.empty() ? "index.html" : first);
  co_return error_response(request, beast_http::status::not_found, "no such page");
}

}  // namespace ximssd::http
