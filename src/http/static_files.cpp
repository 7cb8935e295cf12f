// The built-in web client: the files of resources/web/, served at "/" (index.html) and
// "/<name>".
#include <boost/beast/http/field.hpp>

#include "http/http_context.hpp"
#include "http/web_files.hpp"

namespace ximssd::http {

namespace {

std::string_view content_type_for(std::string_view name) {
  auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  return "application/octet-stream";
}

}  // namespace

HttpResponse serve_static_file(const HttpRequest& request, std::string_view name) {
  const WebFile* file = find_web_file(name);
  if (!file) return error_response(request, beast_http::status::not_found, "no such page");
  if (request.method() != beast_http::verb::get && request.method() != beast_http::verb::head)
    return error_response(request, beast_http::status::method_not_allowed, "use GET");
  auto response = make_response(request, beast_http::status::ok, content_type_for(name), std::string(file->data, file->size));
  response.set(beast_http::field::cache_control, "no-cache");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("X-Frame-Options", "DENY");
  // The client is plain files from this origin: nothing else may run or be framed.
  response.set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  return response;
}

}  // namespace ximssd::http
