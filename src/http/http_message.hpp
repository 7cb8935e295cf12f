// The request and response types of the HTTP layer, and the replies it builds often.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <string_view>

namespace ximssd::http {

namespace beast_http = boost::beast::http;
using HttpRequest = beast_http::request<beast_http::string_body>;
using HttpResponse = beast_http::response<beast_http::string_body>;

// Who sent a request.
struct Peer {
  std::string ip;
  bool loopback = false;
  bool tls = false;
};

// A response with `body` of `content_type` (keep-alive as the request asked).
HttpResponse make_response(const HttpRequest& request, beast_http::status status, std::string_view content_type,
                           std::string body);
// 200 with an XML body (a <XIMSS> document).
HttpResponse xml_response(const HttpRequest& request, std::string body);
// A plain-text error page.
HttpResponse error_response(const HttpRequest& request, beast_http::status status, std::string_view text);
// Status 550, which XIMSS clients read as "the session is gone, log in again".
HttpResponse session_gone(const HttpRequest& request);

}  // namespace ximssd::http
