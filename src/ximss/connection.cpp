#include "ximss/connection.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "formats/xml/request_parser.hpp"
#include "ximss/listener.hpp"
#include "ximss/message_runner.hpp"

namespace ximssd::ximss {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {
constexpr size_t kHighWater = 1 << 20;  // stop taking requests above this much queued output
constexpr size_t kMaxRead = 64 * 1024;
constexpr std::string_view kAsyncBye = "<bye/>";
}  // namespace

XimssConnection::XimssConnection(tcp::socket socket, XimssContext& ctx)
    : socket_(std::move(socket)),
      ctx_(ctx),
      frames_(ctx.settings.max_message_size),
      writer_wakeup_(socket_.get_executor()),
      drained_(socket_.get_executor()),
      idle_timer_(socket_.get_executor()),
      last_activity_(std::chrono::steady_clock::now()) {}

XimssConnection::~XimssConnection() {
  if (state_.session) {
    state_.session->detach();
    ctx_.sessions.remove(state_.session->url_id());
    spdlog::debug("ximss: session {} ended", log_name(state_.session->url_id()));
  }
}

void XimssConnection::start() {
  auto peer = peer_address(socket_);
  state_.peer_ip = std::move(peer.ip);
  state_.loopback = peer.loopback;
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(tcp::no_delay(true), ec);
  state_.tls_available = ctx_.tls != nullptr;
  auto self = shared_from_this();
  auto ex = socket_.get_executor();
  asio::co_spawn(ex, [self] { return self->read_loop(); }, asio::detached);
  asio::co_spawn(ex, [self] { return self->write_loop(); }, asio::detached);
  asio::co_spawn(ex, [self] { return self->watchdog(); }, asio::detached);
}

void XimssConnection::wake_writer() {
  if (writer_waiting_) writer_wakeup_.cancel();
}

void XimssConnection::queue_message(std::string_view message) {
  out_.append(message);
  out_.push_back('\0');
  wake_writer();
}

void XimssConnection::begin_close() {
  closing_ = true;
  wake_writer();
  drained_.cancel();
  idle_timer_.cancel();
}

void XimssConnection::protocol_error(ErrorCode code, const std::string& text, const std::string& id) {
  std::string reply;
  MessageOutput out(reply, true);
  write_protocol_error(out, code, text, id);
  out_.append(reply);
  wake_writer();
  count_protocol_error();
}

void XimssConnection::count_protocol_error() {
  if (++consecutive_errors_ >= ctx_.settings.max_errors) {
    spdlog::warn("ximss: closing connection from {} after {} bad messages in a row", state_.peer_ip,
                 consecutive_errors_);
    queue_message(kAsyncBye);
    begin_close();
  }
}

void XimssConnection::attach_session() {
  session_attached_ = true;
  std::weak_ptr<XimssConnection> weak = shared_from_this();
  auto ex = socket_.get_executor();
  state_.session->executor = ex;
  // The KILL URL ends the session: close this connection, without a goodbye.
  state_.session->set_killer([weak, ex] {
    asio::post(ex, [weak] {
      if (auto self = weak.lock()) self->begin_close();
    });
  });
  state_.session->attach([weak, ex](std::string message) {
    // A change this connection's own request made goes out at once, ahead of that request's
    // response (the reference's examples show the notify first); others come through the strand.
    using Strand = asio::strand<asio::io_context::executor_type>;
    if (const auto* strand = ex.target<Strand>(); strand && strand->running_in_this_thread()) {
      if (auto self = weak.lock(); self && !self->closing_) self->queue_message(message);
      return;
    }
    asio::post(ex, [weak, message = std::move(message)] {
      if (auto self = weak.lock(); self && !self->closing_) self->queue_message(message);
    });
  });
}

awaitable<size_t> XimssConnection::read_some() {
  if (tls_) {
    char* p = frames_.prepare(16 * 1024);
    boost::system::error_code ec;
    size_t n = co_await tls_->async_read_some(asio::buffer(p, 16 * 1024), asio::redirect_error(use_awaitable, ec));
    frames_.commit(ec ? 0 : n);
    co_return ec ? 0 : std::max<size_t>(n, 1);
  }
  // Wait for readability without holding a buffer, so that idle connections cost no buffer.
  boost::system::error_code ec;
  co_await socket_.async_wait(tcp::socket::wait_read, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return 0;
  size_t want = std::clamp<size_t>(socket_.available(ec), 1, kMaxRead);
  char* p = frames_.prepare(want);
  size_t n = socket_.read_some(asio::buffer(p, want), ec);
  frames_.commit(ec ? 0 : n);
  if (ec == asio::error::would_block || ec == asio::error::try_again) co_return 1;  // spurious wakeup
  co_return ec ? 0 : n;
}

awaitable<void> XimssConnection::read_loop() {
  try {
    while (!closing_) {
      size_t n = co_await read_some();
      if (n == 0 || closing_) break;
      last_activity_ = std::chrono::steady_clock::now();
      co_await process_frames();
      frames_.release_if_idle();
    }
  } catch (const std::exception& e) {
    spdlog::debug("ximss: connection from {} failed: {}", state_.peer_ip, e.what());
  }
  begin_close();
}

awaitable<void> XimssConnection::process_frames() {
  while (!closing_) {
    auto event = frames_.next();
    if (!event) break;
    if (event->kind == FrameReader::Kind::oversized) {
      protocol_error(ErrorCode::messageTooLarge,
                     "message is larger than " + std::to_string(ctx_.settings.max_message_size) + " bytes",
                     xml::sniff_request_id(event->text));
      continue;
    }
    std::string reply;
    MessageOutput out(reply, true);
    auto outcome = co_await run_message(ctx_, state_, event->text, out);
    if (outcome == RunOutcome::protocol_error) {
      out_.append(reply);
      wake_writer();
      count_protocol_error();
      continue;
    }
    consecutive_errors_ = 0;
    if (out_.empty()) out_.swap(reply);
    else out_.append(reply);
    wake_writer();

    if (state_.session && !session_attached_) attach_session();
    // Login or setSessionOption may have changed the timeout: let the watchdog re-arm.
    if (current_timeout() != armed_timeout_) idle_timer_.cancel();
    if (state_.after == ConnectionState::After::close) {
      begin_close();
      break;
    }
    if (state_.after == ConnectionState::After::start_tls) {
      state_.after = ConnectionState::After::nothing;
      co_await start_tls();
      break;  // anything the client sent in clear text after starttls is discarded
    }
    if (pending_output() > kHighWater) co_await wait_for_drain(kHighWater / 2);
  }
}

awaitable<void> XimssConnection::wait_for_drain(size_t level) {
  while (!closing_ && (pending_output() > level || (level == 0 && !writing_.empty()))) {
    reader_waiting_ = true;
    drained_.expires_at(std::chrono::steady_clock::time_point::max());
    boost::system::error_code ec;
    co_await drained_.async_wait(asio::redirect_error(use_awaitable, ec));
    reader_waiting_ = false;
  }
}

awaitable<void> XimssConnection::start_tls() {
  co_await wait_for_drain(0);  // the positive response goes out in clear text first
  if (closing_) co_return;
  frames_ = FrameReader(ctx_.settings.max_message_size);
  handshaking_ = true;
  tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *ctx_.tls);
  boost::system::error_code ec;
  co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
  handshaking_ = false;
  if (ec) {
    spdlog::info("ximss: TLS handshake with {} failed: {}", state_.peer_ip, ec.message());
    begin_close();
    co_return;
  }
  state_.tls_active = true;
  wake_writer();
}

awaitable<void> XimssConnection::write_loop() {
  boost::system::error_code ec;
  while (!ec) {
    if (!out_.empty() && !handshaking_) {
      writing_.swap(out_);
      if (tls_) co_await asio::async_write(*tls_, asio::buffer(writing_), asio::redirect_error(use_awaitable, ec));
      else co_await asio::async_write(socket_, asio::buffer(writing_), asio::redirect_error(use_awaitable, ec));
      writing_.clear();
      if (out_.empty()) {
        // Idle again: give the buffers' memory back.
        std::string().swap(writing_);
        std::string().swap(out_);
      }
      if (reader_waiting_) drained_.cancel();
      continue;
    }
    if (closing_ && !handshaking_) break;
    writer_waiting_ = true;
    writer_wakeup_.expires_at(std::chrono::steady_clock::time_point::max());
    boost::system::error_code wait_ec;
    co_await writer_wakeup_.async_wait(asio::redirect_error(use_awaitable, wait_ec));
    writer_waiting_ = false;
  }
  closed_ = true;
  begin_close();
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

std::chrono::seconds XimssConnection::current_timeout() const {
  return state_.session ? state_.session->idle_timeout.load() : ctx_.settings.login_timeout;
}

awaitable<void> XimssConnection::watchdog() {
  while (!closing_) {
    armed_timeout_ = current_timeout();
    auto deadline = last_activity_ + armed_timeout_;
    if (std::chrono::steady_clock::now() >= deadline) {
      spdlog::info("ximss: closing idle connection from {}", state_.peer_ip);
      queue_message(kAsyncBye);
      begin_close();
      break;
    }
    idle_timer_.expires_at(deadline);
    boost::system::error_code ec;
    co_await idle_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

}  // namespace ximssd::ximss
