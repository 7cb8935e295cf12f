#include "smtp/smtp_connection.hpp"

#include <sys/stat.h>
#include <sys/un.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "ximss/listener.hpp"

namespace ximssd::smtp {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {
constexpr size_t kHighWater = 1 << 20;
constexpr size_t kMaxRead = 64 * 1024;
// RFC 5321 section 4.5.3.1.4 allows 512 octets; parameters of extensions make lines longer.
constexpr size_t kMaxCommandLine = 4096;
}  // namespace

SmtpConnection::SmtpConnection(Socket socket, SmtpContext& ctx, Dialect dialect, std::string peer_ip)
    : socket_(std::move(socket)),
      ctx_(ctx),
      peer_ip_(std::move(peer_ip)),
      session_(ctx, dialect, peer_ip_),
      input_(kMaxCommandLine),
      writer_wakeup_(socket_.get_executor()),
      drained_(socket_.get_executor()),
      idle_timer_(socket_.get_executor()),
      last_activity_(std::chrono::steady_clock::now()) {}

void SmtpConnection::start() {
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  auto self = shared_from_this();
  auto ex = socket_.get_executor();
  asio::co_spawn(ex, [self] { return self->read_loop(); }, asio::detached);
  asio::co_spawn(ex, [self] { return self->write_loop(); }, asio::detached);
  asio::co_spawn(ex, [self] { return self->watchdog(); }, asio::detached);
}

void SmtpConnection::queue(std::string_view text) {
  out_.append(text);
  if (writer_waiting_) writer_wakeup_.cancel();
}

void SmtpConnection::begin_close() {
  closing_ = true;
  if (writer_waiting_) writer_wakeup_.cancel();
  drained_.cancel();
  idle_timer_.cancel();
}

awaitable<size_t> SmtpConnection::read_some() {
  boost::system::error_code ec;
  if (tls_) {
    char* p = input_.prepare(16 * 1024);
    size_t n = co_await tls_->async_read_some(asio::buffer(p, 16 * 1024), asio::redirect_error(use_awaitable, ec));
    input_.commit(ec ? 0 : n);
    co_return ec ? 0 : n;
  }
  // Wait for readability without holding a buffer, so that idle connections cost no buffer.
  co_await socket_.async_wait(Socket::wait_read, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return 0;
  size_t want = std::clamp<size_t>(socket_.available(ec), 1, kMaxRead);
  char* p = input_.prepare(want);
  size_t n = socket_.read_some(asio::buffer(p, want), ec);
  input_.commit(ec ? 0 : n);
  if (ec == asio::error::would_block || ec == asio::error::try_again) co_return 1;
  co_return ec ? 0 : n;
}

awaitable<bool> SmtpConnection::handshake() {
  handshaking_ = true;
  tls_ = std::make_unique<asio::ssl::stream<Socket&>>(socket_, *ctx_.tls);
  boost::system::error_code ec;
  co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
  handshaking_ = false;
  if (ec) {
    spdlog::info("smtp: TLS handshake with {} failed: {}", peer_ip_, ec.message());
    co_return false;
  }
  session_.tls_started();
  if (writer_waiting_) writer_wakeup_.cancel();
  co_return true;
}

awaitable<void> SmtpConnection::read_loop() {
  try {
    queue(session_.greeting());
    while (!closing_) {
      size_t n = co_await read_some();
      if (n == 0 || closing_) break;
      last_activity_ = std::chrono::steady_clock::now();
      co_await process_input();
      input_.release_if_idle();
    }
  } catch (const std::exception& e) {
    spdlog::debug("smtp: connection from {} failed: {}", peer_ip_, e.what());
  }
  begin_close();
}

awaitable<void> SmtpConnection::process_input() {
  while (!closing_) {
    if (DataDecoder* decoder = session_.decoder()) {
      input_.feed(*decoder);
      if (!decoder->done()) break;
      std::string replies;
      busy_ = true;
      co_await session_.end_of_data(replies);
      busy_ = false;
      last_activity_ = std::chrono::steady_clock::now();
      queue(replies);
      continue;
    }
    auto line = input_.next_line();
    if (!line) break;
    std::string replies;
    SmtpSession::After after = line->too_long ? session_.line_too_long(replies) : session_.command(line->text, replies);
    queue(replies);
    if (after == SmtpSession::After::close) {
      begin_close();
      break;
    }
    if (after == SmtpSession::After::start_tls) {
      co_await wait_for_drain(0);
      // Anything the client sent after STARTTLS in clear text is dropped (RFC 3207 section 4.2).
      input_.clear();
      if (!closing_ && !co_await handshake()) begin_close();
      break;
    }
    if (pending_output() > kHighWater) co_await wait_for_drain(kHighWater / 2);
  }
}

awaitable<void> SmtpConnection::wait_for_drain(size_t level) {
  while (!closing_ && (pending_output() > level || (level == 0 && !writing_.empty()))) {
    reader_waiting_ = true;
    drained_.expires_at(std::chrono::steady_clock::time_point::max());
    boost::system::error_code ec;
    co_await drained_.async_wait(asio::redirect_error(use_awaitable, ec));
    reader_waiting_ = false;
  }
}

awaitable<void> SmtpConnection::write_loop() {
  boost::system::error_code ec;
  while (!ec) {
    if (!out_.empty() && !handshaking_) {
      writing_.swap(out_);
      if (tls_) co_await asio::async_write(*tls_, asio::buffer(writing_), asio::redirect_error(use_awaitable, ec));
      else co_await asio::async_write(socket_, asio::buffer(writing_), asio::redirect_error(use_awaitable, ec));
      writing_.clear();
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
  begin_close();
  if (tls_ && !ec && !handshaking_) {
    // TLS ends with a close_notify; a peer that does not answer it is not waited for long.
    socket_.cancel(ec);
    idle_timer_.expires_after(std::chrono::seconds(2));
    idle_timer_.async_wait([this, self = shared_from_this()](const boost::system::error_code& wait_ec) {
      if (!wait_ec) {
        boost::system::error_code ignored;
        socket_.close(ignored);
      }
    });
    co_await tls_->async_shutdown(asio::redirect_error(use_awaitable, ec));
    idle_timer_.cancel();
  }
  socket_.shutdown(Socket::shutdown_both, ec);
  socket_.close(ec);
}

awaitable<void> SmtpConnection::watchdog() {
  while (!closing_) {
    auto deadline = last_activity_ + ctx_.settings.timeout;
    if (std::chrono::steady_clock::now() >= deadline && !busy_) {
      spdlog::info("smtp: closing idle connection from {}", peer_ip_.empty() ? "the local socket" : peer_ip_);
      queue(session_.timeout_reply());
      begin_close();
      break;
    }
    idle_timer_.expires_at(std::max(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(1)));
    boost::system::error_code ec;
    co_await idle_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

void listen_smtp_tcp(asio::io_context& io, const tcp::endpoint& endpoint, SmtpContext& ctx, Dialect dialect) {
  ximss::listen_tcp(io, endpoint, dialect == Dialect::lmtp ? "LMTP" : "SMTP", [&ctx, dialect](tcp::socket socket) {
    boost::system::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    std::string ip = ximss::peer_address(socket).ip;
    std::make_shared<SmtpConnection>(SmtpConnection::Socket(std::move(socket)), ctx, dialect, std::move(ip))->start();
  });
}

namespace {

awaitable<void> accept_unix(asio::io_context& io, std::shared_ptr<asio::local::stream_protocol::acceptor> acceptor,
                            SmtpContext& ctx) {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor->async_accept(asio::make_strand(io), asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      spdlog::warn("lmtp: accept on the Unix socket failed: {}", ec.message());
      asio::steady_timer pause(io, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_awaitable);
      continue;
    }
    std::make_shared<SmtpConnection>(SmtpConnection::Socket(std::move(socket)), ctx, Dialect::lmtp, std::string())
        ->start();
  }
}

}  // namespace

bool listen_lmtp_unix(asio::io_context& io, const std::filesystem::path& path, SmtpContext& ctx) {
  if (path.native().size() >= sizeof(sockaddr_un::sun_path)) {
    spdlog::warn("lmtp: the socket path {} is longer than a socket address allows ({} bytes); no LMTP socket",
                 path.string(), sizeof(sockaddr_un::sun_path) - 1);
    return false;
  }
  std::error_code fs_ec;
  if (std::filesystem::is_socket(path, fs_ec)) std::filesystem::remove(path, fs_ec);
  auto acceptor = std::make_shared<asio::local::stream_protocol::acceptor>(io);
  asio::local::stream_protocol::endpoint endpoint(path.string());
  acceptor->open(endpoint.protocol());
  acceptor->bind(endpoint);
  acceptor->listen(asio::socket_base::max_listen_connections);
  ::chmod(path.c_str(), 0666);
  asio::co_spawn(io, accept_unix(io, acceptor, ctx), asio::detached);
  return true;
}

}  // namespace ximssd::smtp
