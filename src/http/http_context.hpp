// What the HTTP handlers reach: the settings, the XIMSS services, the HTTP sessions and the
// per-address request limiter.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "http/http_message.hpp"
#include "http/http_sessions.hpp"
#include "http/http_settings.hpp"
#include "http/rate_limiter.hpp"
#include "http/request_target.hpp"
#include "ximss/context.hpp"

namespace ximssd::http {

struct HttpContext {
  HttpSettings settings;
  ximss::XimssContext& ximss;
  HttpSessions& sessions;
  RateLimiter& limiter;
  boost::asio::io_context& io;
};

// The router: every request that is not a WebSocket upgrade.
boost::asio::awaitable<HttpResponse> handle_request(HttpContext& ctx, const HttpRequest& request, const Peer& peer);

// The handlers the router calls (one file each).
boost::asio::awaitable<HttpResponse> handle_login(HttpContext& ctx, const HttpRequest& request,
                                                  const RequestTarget& target, const Peer& peer);
// /Session/<id>/<action> for the session's requests: "" or "get" (the long-poll), "sync",
// "async", "KILL". The session is found and its address and cookie checked already.
boost::asio::awaitable<HttpResponse> handle_session_request(HttpContext& ctx, const HttpRequest& request,
                                                            const RequestTarget& target,
                                                            std::shared_ptr<ximss::Session> session,
                                                            std::string_view action);
// /Session/<id>/<rest...> for every other session URL (MIME, UPLOAD, DOWNLOAD, PROFILE...).
boost::asio::awaitable<HttpResponse> handle_session_url(HttpContext& ctx, const HttpRequest& request,
                                                        const RequestTarget& target,
                                                        std::shared_ptr<ximss::Session> session,
                                                        const std::vector<std::string>& rest);
// /PasswordReset: the page the recoverPassword mail links to (GET: the form; POST: the new password).
boost::asio::awaitable<HttpResponse> handle_password_reset(HttpContext& ctx, const HttpRequest& request,
                                                           const RequestTarget& target);
HttpResponse serve_static_file(const HttpRequest& request, std::string_view name);

}  // namespace ximssd::http
