#include "http/http_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
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
#include "ximss/listener.hpp"

namespace ximssd::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::awaitable;
using tcp = asio::ip::tcp;

// What a request that cannot be served gets before the connection closes.
struct Refusal {
  beast_http::status status;
  std::string text;
};
// For a request that could not be read: a client that went away, or idled out before sending
// anything, gets no answer.
std::optional<Refusal> refusal_for(const boost::system::error_code& ec, bool begun) {
  if (ec == beast_http::error::body_limit) return Refusal{beast_http::status::payload_too_large, "request body too large"};
  if (ec == beast_http::error::header_limit)
    return Refusal{beast_http::status::request_header_fields_too_large, "request header too large"};
  if (ec == beast::error::timeout)
    return begun ? std::optional(Refusal{beast_http::status::request_timeout, "request not received in time"})
                 : std::nullopt;
  if (ec == beast_http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::operation_aborted)
    return std::nullopt;
  return Refusal{beast_http::status::bad_request, ec.message()};
}

template <class Stream>
awaitable<void> refuse_and_close(Stream& stream, const Refusal& refusal) {
  HttpRequest bare;
  bare.version(11);
  bare.keep_alive(false);
  HttpResponse response = error_response(bare, refusal.status, refusal.text);
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
    if (!ec) {
      size_t body_limit = is_upload(parser.get().target()) ? s.max_upload_size : s.max_body_size;
      if (auto length = parser.content_length(); length && *length > body_limit) ec = beast_http::error::body_limit;
      parser.body_limit(body_limit);
    }
    if (!ec) {
      const auto& header = parser.get();
      if (auto expect = header.find(beast_http::field::expect);
          expect != header.end() && beast::iequals(expect->value(), "100-continue")) {
        beast_http::response<beast_http::empty_body> proceed{beast_http::status::continue_, header.version()};
        co_await beast_http::async_write(stream, proceed, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
      co_await beast_http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      if (auto refusal = refusal_for(ec, parser.got_some())) co_await refuse_and_close(stream, *refusal);
      break;
    }
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
        co_await refuse_and_close(stream, Refusal{beast_http::status::not_found, "no such WebSocket"});
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
  auto address = ximss::peer_address(socket);
  return Peer{std::move(address.ip), address.loopback, tls};
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

}  // namespace

void listen_http(asio::io_context& io, const tcp::endpoint& endpoint, HttpContext& ctx, asio::ssl::context* tls) {
  ximss::listen_tcp(io, endpoint, tls ? "https" : "http", [&ctx, tls](tcp::socket socket) {
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
  });
}

}  // namespace ximssd::http
