#include "http/http_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

#include "http/websocket_connection.hpp"

namespace ximssd::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::awaitable;
using tcp = asio::ip::tcp;

HttpRequest bare_request() {
  HttpRequest request;
  request.version(11);
  request.keep_alive(false);
  return request;
}

template <class Stream>
awaitable<void> write_and_close(Stream& stream, HttpResponse response) {
  response.keep_alive(false);
  boost::system::error_code ec;
  co_await beast_http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
}

bool is_upload(std::string_view target) {
  return target.starts_with("/Session/") && target.find("/UPLOAD/") != std::string_view::npos;
}

awaitable<HttpResponse> respond(HttpContext& ctx, const HttpRequest& request, const Peer& peer) {
  try {
    co_return co_await handle_request(ctx, request, peer);
  } catch (const Failure& failure) {
    // A domain refusal (no such message, no right) while serving a URL.
    auto status = failure.code() == ErrorCode::permissionDenied ? beast_http::status::forbidden
                  : failure.code() == ErrorCode::badRequest   ? beast_http::status::bad_request
                                                              : beast_http::status::not_found;
    co_return error_response(request, status, failure.what());
  } catch (const std::exception& e) {
    spdlog::error("http: {} {} failed: {}", std::string(request.method_string()), std::string(request.target()),
                  e.what());
    co_return error_response(request, beast_http::status::internal_server_error, "internal error");
  }
}

template <class Stream>
awaitable<void> serve_connection(HttpContext& ctx, Stream stream, Peer peer) {
  auto& socket_stream = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  const auto& s = ctx.settings;
  bool first = true;
  for (;;) {
    beast_http::request_parser<beast_http::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(std::min<size_t>(s.max_header_size, UINT32_MAX)));
    // The header decides which body limit applies (uploads have their own): admit the larger
    // one while it is read, and check the declared length against the right one below.
    parser.body_limit(std::max(s.max_body_size, s.max_upload_size));
    boost::system::error_code ec;
    // Between requests a connection may idle for the keep-alive time (the first request gets
    // the read timeout); a request, once begun, must arrive whole within the read timeout, so a
    // client trickling bytes is cut off.
    if (buffer.size() == 0) {
      socket_stream.expires_after(first ? s.read_timeout : s.keepalive_timeout);
      size_t n = co_await stream.async_read_some(buffer.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      buffer.commit(n);
    }
    socket_stream.expires_after(s.read_timeout);
    co_await beast_http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast_http::error::body_limit) {
      co_await write_and_close(stream,
                               error_response(bare_request(), beast_http::status::payload_too_large, "request body too large"));
      break;
    }
    if (ec == beast_http::error::header_limit) {
      co_await write_and_close(stream, error_response(bare_request(), beast_http::status::request_header_fields_too_large,
                                                      "request header too large"));
      break;
    }
    if (ec == beast::error::timeout && parser.got_some()) {
      co_await write_and_close(stream, error_response(bare_request(), beast_http::status::request_timeout,
                                                      "request not received in time"));
      break;
    }
    if (ec == beast_http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
      break;
    if (ec) {
      co_await write_and_close(stream, error_response(bare_request(), beast_http::status::bad_request, ec.message()));
      break;
    }
    auto& header = parser.get();
    size_t body_limit = is_upload(header.target()) ? s.max_upload_size : s.max_body_size;
    if (auto length = parser.content_length(); length && *length > body_limit) {
      co_await write_and_close(stream,
                               error_response(bare_request(), beast_http::status::payload_too_large, "request body too large"));
      break;
    }
    parser.body_limit(body_limit);
    if (auto expect = header.find(beast_http::field::expect);
        expect != header.end() && beast::iequals(expect->value(), "100-continue")) {
      beast_http::response<beast_http::empty_body> proceed{beast_http::status::continue_, header.version()};
      co_await beast_http::async_write(stream, proceed, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    co_await beast_http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast_http::error::body_limit) {
      co_await write_and_close(stream,
                               error_response(bare_request(), beast_http::status::payload_too_large, "request body too large"));
      break;
    }
    if (ec == beast::error::timeout) {
      co_await write_and_close(stream, error_response(bare_request(), beast_http::status::request_timeout,
                                                      "request not received in time"));
      break;
    }
    if (ec) break;
    first = false;
    HttpRequest request = parser.release();

    if (!ctx.limiter.allow(peer.ip)) {
      auto response = error_response(request, beast_http::status::too_many_requests, "too many requests");
      response.set(beast_http::field::retry_after, "1");
      socket_stream.expires_after(s.keepalive_timeout);
      co_await beast_http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !response.keep_alive()) break;
      continue;
    }

    if (beast::websocket::is_upgrade(request)) {
      if (request.target() != "/ximss") {
        co_await write_and_close(stream, error_response(request, beast_http::status::not_found, "no such WebSocket"));
        break;
      }
      socket_stream.expires_never();
      co_await WebSocketXimss<Stream>::serve(ctx, std::move(stream), std::move(request), peer);
      co_return;
    }

    // A handler may wait (the long-poll holds a request for up to max_poll_wait): the stream's
    // timeout covers only its own reads and writes, and the write below sets a fresh one.
    HttpResponse response = co_await respond(ctx, request, peer);
    if (request.method() == beast_http::verb::head) {
      auto length = response.body().size();
      response.body().clear();
      response.content_length(length);
    }
    socket_stream.expires_after(std::max(s.keepalive_timeout, s.read_timeout));
    co_await beast_http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !response.keep_alive()) break;
  }
  boost::system::error_code ignored;
  socket_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

Peer peer_of(const tcp::socket& socket, bool tls) {
  Peer peer;
  peer.tls = tls;
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

awaitable<void> serve_plain(HttpContext& ctx, tcp::socket socket) {
  Peer peer = peer_of(socket, false);
  socket.set_option(tcp::no_delay(true));
  co_await serve_connection(ctx, beast::tcp_stream(std::move(socket)), std::move(peer));
}

awaitable<void> serve_tls(HttpContext& ctx, tcp::socket socket, asio::ssl::context& tls) {
  Peer peer = peer_of(socket, true);
  socket.set_option(tcp::no_delay(true));
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), tls);
  beast::get_lowest_layer(stream).expires_after(ctx.settings.read_timeout);
  boost::system::error_code ec;
  co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    spdlog::debug("http: TLS handshake with {} failed: {}", peer.ip, ec.message());
    co_return;
  }
  co_await serve_connection(ctx, std::move(stream), std::move(peer));
}

awaitable<void> accept_loop(asio::io_context& io, std::shared_ptr<tcp::acceptor> acceptor, HttpContext& ctx,
                            asio::ssl::context* tls) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor->async_accept(asio::make_strand(io), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      spdlog::warn("http: accept failed: {}", ec.message());
      asio::steady_timer pause(io, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::use_awaitable);
      continue;
    }
    auto executor = socket.get_executor();
    auto log_failure = [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        spdlog::debug("http: connection failed: {}", x.what());
      }
    };
    if (tls)
      asio::co_spawn(executor, serve_tls(ctx, std::move(socket), *tls), log_failure);
    else
      asio::co_spawn(executor, serve_plain(ctx, std::move(socket)), log_failure);
  }
}

}  // namespace

void listen_http(asio::io_context& io, const tcp::endpoint& endpoint, HttpContext& ctx, asio::ssl::context* tls) {
  auto acceptor = std::make_shared<tcp::acceptor>(io);
  acceptor->open(endpoint.protocol());
  acceptor->set_option(tcp::acceptor::reuse_address(true));
  acceptor->bind(endpoint);
  acceptor->listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(io, accept_loop(io, acceptor, ctx, tls), asio::detached);
}

}  // namespace ximssd::http
