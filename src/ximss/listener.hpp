// Accepting TCP connections, for XIMSS and for the HTTP layer above it: each connection gets
// its own strand; where it comes from is read the same way for both.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <string>
#include <string_view>

#include "ximss/context.hpp"

namespace ximssd::ximss {

// A connection's client address as text (an IPv4-mapped IPv6 address as IPv4), and whether it is
// loopback. Empty when the socket has no peer any more.
struct PeerAddress {
  std::string ip;
  bool loopback = false;
};
PeerAddress peer_address(const boost::asio::ip::tcp::socket& socket);

// Binds now (so that errors surface at start-up) and hands every accepted connection, on a
// strand of its own, to `accepted` until the context stops. `what` names the service in logs.
void listen_tcp(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint, std::string what,
                std::function<void(boost::asio::ip::tcp::socket)> accepted);

// XIMSS over TCP on `endpoint`.
void listen_ximss(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                  XimssContext& ctx);

}  // namespace ximssd::ximss
