// /PasswordReset: the page the recoverPassword mail links to. GET shows a form for a new password
// (the token rides along as a hidden field); POST with the token and the password sets it and
// consumes the token (mail/password_reset.hpp). The pages are small and self-contained, never
// cached, and keep the token out of Referer headers.
#include <boost/beast/http/field.hpp>
#include <spdlog/spdlog.h>

#include "base/error.hpp"
#include "http/http_context.hpp"

namespace ximssd::http {

namespace {

using boost::asio::awaitable;

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

HttpResponse page(const HttpRequest& request, beast_http::status status, std::string_view title, std::string body) {
  std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
                     "</title></head>\n<body><h1>" + html_escape(title) + "</h1>\n" + body + "\n</body></html>\n";
  auto response = make_response(request, status, "text/html; charset=utf-8", std::move(html));
  response.set(beast_http::field::cache_control, "no-store");
  response.set("Referrer-Policy", "no-referrer");
  response.set("X-Frame-Options", "DENY");
  response.set("Content-Security-Policy", "default-src 'none'; form-action 'self'");
  return response;
}

HttpResponse form(const HttpRequest& request, beast_http::status status, std::string_view token,
                  std::string_view problem) {
  std::string body;
  if (!problem.empty()) body += "<p><strong>" + html_escape(problem) + "</strong></p>\n";
  body += "<form method=\"post\" action=\"/PasswordReset\">\n"
          "<input type=\"hidden\" name=\"token\" value=\"" + html_escape(token) + "\">\n"
          "<p><label>New password <input type=\"password\" name=\"password\" autocomplete=\"new-password\" required></label></p>\n"
          "<p><label>Again <input type=\"password\" name=\"confirm\" autocomplete=\"new-password\" required></label></p>\n"
          "<p><button type=\"submit\">Set the password</button></p>\n</form>";
  return page(request, status, "Choose a new password", std::move(body));
}

}  // namespace

awaitable<HttpResponse> handle_password_reset(HttpContext& ctx, const HttpRequest& request, const RequestTarget& target) {
  if (!ctx.ximss.password_reset) co_return error_response(request, beast_http::status::not_found, "no such page");
  if (request.method() == beast_http::verb::get) {
    auto token = target.param("token");
    if (!token || token->empty())
      co_return page(request, beast_http::status::bad_request, "Password reset",
                     "<p>This link is incomplete. Ask for a new one from the login page.</p>");
    co_return form(request, beast_http::status::ok, *token, "");
  }
  if (request.method() != beast_http::verb::post)
    co_return error_response(request, beast_http::status::method_not_allowed, "GET or POST only");

  // application/x-www-form-urlencoded, read as a query.
  auto fields = parse_target("?" + request.body());
  if (!fields) co_return error_response(request, beast_http::status::bad_request, "malformed form");
  std::string token(fields->param("token").value_or(""));
  std::string password(fields->param("password").value_or(""));
  std::string confirm(fields->param("confirm").value_or(password));
  if (password != confirm) co_return form(request, beast_http::status::bad_request, token, "The two passwords differ.");
  if (password.empty()) co_return form(request, beast_http::status::bad_request, token, "The password is empty.");

  std::optional<Failure> failure;
  std::string account;
  try {
    account = co_await ctx.ximss.password_reset->redeem(token, password);
  } catch (const Failure& f) {
    failure = f;
  }
  if (failure) {
    if (failure->code() == ErrorCode::notFound)
      co_return page(request, beast_http::status::not_found, "Password reset",
                     "<p>" + html_escape(failure->what()) + ". Ask for a new one from the login page.</p>");
    co_return form(request, beast_http::status::bad_request, token, failure->what());
  }
  spdlog::info("http: password of {} reset with a recovery link", account);
  co_return page(request, beast_http::status::ok, "Password changed",
                 "<p>The password of " + html_escape(account) + " has been changed. You can log in with it now.</p>");
}

}  // namespace ximssd::http
