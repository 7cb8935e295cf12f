#include "http/http_message.hpp"

#include <boost/beast/http/field.hpp>

namespace ximssd::http {

HttpResponse make_response(const HttpRequest& request, beast_http::status status, std::string_view content_type,
                           std::string body) {
  HttpResponse response{status, request.version()};
  response.set(beast_http::field::server, "ximssd");
  if (!content_type.empty()) response.set(beast_http::field::content_type, content_type);
  response.set(beast_http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

HttpResponse xml_response(const HttpRequest& request, std::string body) {
  return make_response(request, beast_http::status::ok, "text/xml; charset=utf-8", std::move(body));
}

HttpResponse error_response(const HttpRequest& request, beast_http::status status, std::string_view text) {
  return make_response(request, status, "text/plain; charset=utf-8", std::string(text) + "\n");
}

HttpResponse session_gone(const HttpRequest& request) {
  // 550 is not a registered status; Beast carries it as an unknown code with our reason text.
  HttpResponse response = make_response(
      request, static_cast<beast_http::status>(550), "text/xml; charset=utf-8",
      "<XIMSS><response errorText=\"unknown session\" errorNum=\"530\"/></XIMSS>");
  response.reason("Session Unknown");
  return response;
}

}  // namespace ximssd::http
