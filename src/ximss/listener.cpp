#include "ximss/listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "ximss/connection.hpp"

namespace ximssd::ximss {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

asio::awaitable<void> accept_loop(asio::io_context& io, std::shared_ptr<tcp::acceptor> acceptor, std::string what,
                                  std::function<void(tcp::socket)> accepted) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor->async_accept(asio::make_strand(io),
                                                         asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of descriptors and the like: log, pause briefly, keep serving the others.
      spdlog::warn("{}: accept failed: {}", what, ec.message());
      asio::steady_timer pause(io, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::use_awaitable);
      continue;
    }
    accepted(std::move(socket));
  }
}

}  // namespace

PeerAddress peer_address(const tcp::socket& socket) {
  PeerAddress peer;
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return peer;
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  peer.ip = address.to_string();
  peer.loopback = address.is_loopback();
  return peer;
}

void listen_tcp(asio::io_context& io, const tcp::endpoint& endpoint, std::string what,
                std::function<void(tcp::socket)> accepted) {
  auto acceptor = std::make_shared<tcp::acceptor>(io);
  acceptor->open(endpoint.protocol());
  acceptor->set_option(tcp::acceptor::reuse_address(true));
  acceptor->bind(endpoint);
  acceptor->listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(io, accept_loop(io, acceptor, std::move(what), std::move(accepted)), asio::detached);
}

void listen_ximss(asio::io_context& io, const tcp::endpoint& endpoint, XimssContext& ctx) {
  listen_tcp(io, endpoint, "ximss",
             [&ctx](tcp::socket socket) { std::make_shared<XimssConnection>(std::move(socket), ctx)->start(); });
}

}  // namespace ximssd::ximss
