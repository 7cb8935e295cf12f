// The HTTP listeners (plain and TLS) and the keep-alive connection loop: reads each request
// within the limits (header size, body size, time), applies the per-address rate limit, hands
// it to the router (or upgrades /ximss to a WebSocket), and writes the response.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "http/http_context.hpp"

namespace ximssd::http {

// Listens on `endpoint`; with `tls`, every connection is HTTPS.
void listen_http(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint, HttpContext& ctx,
                 boost::asio::ssl::context* tls);

}  // namespace ximssd::http
