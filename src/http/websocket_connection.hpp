// XIMSS over WebSocket (/ximss), beyond what the vendor offers: one XIMSS message per text
// frame in both directions, the same message runner and session code as the TCP binding.
// Like a TCP connection, a session logged in here ends when the socket closes.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <memory>

#include "http/http_context.hpp"
#include "ximss/message_runner.hpp"

namespace ximssd::http {

template <class Stream>
class WebSocketXimss : public std::enable_shared_from_this<WebSocketXimss<Stream>> {
 public:
  WebSocketXimss(HttpContext& ctx, Stream stream, const Peer& peer)
      : ctx_(ctx), ws_(std::move(stream)), wakeup_(ws_.get_executor()) {
    state_.peer_ip = peer.ip;
    state_.loopback = peer.loopback;
    state_.tls_active = peer.tls;
  }

  ~WebSocketXimss() { end_session(); }

  // Accepts the upgrade `request` and serves the socket until it closes.
  static boost::asio::awaitable<void> serve(HttpContext& ctx, Stream stream, HttpRequest request, Peer peer) {
    auto self = std::make_shared<WebSocketXimss>(ctx, std::move(stream), peer);
    co_await self->run(std::move(request));
  }

 private:
  boost::asio::awaitable<void> run(HttpRequest request) {
    namespace websocket = boost::beast::websocket;
    // Until login a socket may stay silent for the login timeout, as a TCP connection may.
    set_idle_timeout(ctx_.ximss.settings.login_timeout);
    ws_.read_message_max(ctx_.ximss.settings.max_message_size);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& response) { response.set(boost::beast::http::field::server, "ximssd"); }));
    boost::system::error_code ec;
    co_await ws_.async_accept(request, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec) co_return;
    ws_.text(true);
    auto self = this->shared_from_this();
    boost::asio::co_spawn(ws_.get_executor(), [self] { return self->write_loop(); }, boost::asio::detached);
    co_await read_loop();
    closing_ = true;
    wakeup_.cancel();
  }

  boost::asio::awaitable<void> read_loop() {
    unsigned errors_in_a_row = 0;
    while (!closing_) {
      boost::beast::flat_buffer buffer;
      boost::system::error_code ec;
      co_await ws_.async_read(buffer, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) {
        if (ec == boost::beast::websocket::error::buffer_overflow) {
          std::string reply;
          ximss::MessageOutput out(reply, true);
          ximss::write_protocol_error(out, ErrorCode::messageTooLarge, "message is too large", "");
          queue(reply);
        }
        break;
      }
      std::string text = boost::beast::buffers_to_string(buffer.data());
      std::string reply;
      ximss::MessageOutput out(reply, true);
      auto outcome = co_await ximss::run_message(ctx_.ximss, state_, text, out);
      queue(reply);
      errors_in_a_row = outcome == ximss::RunOutcome::protocol_error ? errors_in_a_row + 1 : 0;
      if (state_.session && !attached_) attach();
      if (state_.after == ximss::ConnectionState::After::close || errors_in_a_row >= ctx_.ximss.settings.max_errors) {
        end_session();  // now, not when the peer gets round to closing its side
        break;
      }
      state_.after = ximss::ConnectionState::After::nothing;  // starttls has no meaning here
    }
  }

  // Queues zero-terminated messages, one frame each.
  void queue(std::string_view messages) {
    while (!messages.empty()) {
      size_t end = messages.find('\0');
      out_.emplace_back(messages.substr(0, end));
      if (end == std::string_view::npos) break;
      messages.remove_prefix(end + 1);
    }
    wakeup_.cancel();
  }

  // A socket silent this long is closed (the session's idle timeout, once there is one).
  void set_idle_timeout(std::chrono::seconds idle) {
    boost::beast::websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = ctx_.settings.read_timeout;
    timeouts.idle_timeout = idle;
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
  }

  // The session is forgotten: no more async messages, and its URLs answer 550.
  void end_session() {
    if (!state_.session) return;
    state_.session->detach();
    ctx_.ximss.sessions.remove(state_.session->url_id());
  }

  void attach() {
    attached_ = true;
    set_idle_timeout(state_.session->idle_timeout.load());
    std::weak_ptr<WebSocketXimss> weak = this->shared_from_this();
    auto executor = ws_.get_executor();
    state_.session->executor = executor;
    state_.session->attach([weak, executor](std::string message) {
      boost::asio::post(executor, [weak, message = std::move(message)] {
        if (auto self = weak.lock(); self && !self->closing_) {
          self->out_.push_back(message);
          self->wakeup_.cancel();
        }
      });
    });
    state_.session->set_killer([weak, executor] {
      boost::asio::post(executor, [weak] {
        if (auto self = weak.lock()) {
          self->closing_ = true;
          boost::system::error_code ignored;
          boost::beast::get_lowest_layer(self->ws_).socket().shutdown(boost::asio::socket_base::shutdown_both, ignored);
          self->wakeup_.cancel();
        }
      });
    });
  }

  boost::asio::awaitable<void> write_loop() {
    auto self = this->shared_from_this();  // the reader may finish first
    boost::system::error_code ec;
    for (;;) {
      while (!out_.empty() && !ec) {
        std::string message = std::move(out_.front());
        out_.pop_front();
        co_await ws_.async_write(boost::asio::buffer(message), boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      }
      if (ec) break;
      if (closing_) {
        co_await ws_.async_close(boost::beast::websocket::close_code::normal,
                                 boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        break;
      }
      wakeup_.expires_at(std::chrono::steady_clock::time_point::max());
      boost::system::error_code wait_ec;
      co_await wakeup_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, wait_ec));
    }
  }

  HttpContext& ctx_;
  boost::beast::websocket::stream<Stream> ws_;
  boost::asio::steady_timer wakeup_;
  ximss::ConnectionState state_;
  std::deque<std::string> out_;
  bool attached_ = false;
  bool closing_ = false;
};

}  // namespace ximssd::http
