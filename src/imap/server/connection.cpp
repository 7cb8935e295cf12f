#include "imap/server/connection.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/text.hpp"
#include "imap/server/dispatch.hpp"
#include "ximss/listener.hpp"

namespace ximssd::imap {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {
constexpr size_t kHighWater = 1 << 20;
constexpr size_t kMaxRead = 64 * 1024;

CommandFramer::Limits framer_limits(const ImapSettings& s) {
  CommandFramer::Limits limits;
  limits.max_line = s.max_line;
  limits.max_literal = s.max_literal;
  limits.max_command = s.max_literal + 16 * s.max_line;
  return limits;
}
}  // namespace

ImapConnection::ImapConnection(tcp::socket socket, ImapContext& ctx, bool implicit_tls)
    : socket_(std::move(socket)),
      ctx_(ctx),
      implicit_tls_(implicit_tls),
      framer_(framer_limits(ctx.settings)),
      writer_wakeup_(socket_.get_executor()),
      drained_(socket_.get_executor()),
      idle_timer_(socket_.get_executor()),
      last_activity_(std::chrono::steady_clock::now()) {}

void ImapConnection::start() {
  auto peer = ximss::peer_address(socket_);
  session_.peer_ip = std::move(peer.ip);
  session_.loopback = peer.loopback;
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(tcp::no_delay(true), ec);
  auto self = shared_from_this();
  auto ex = socket_.get_executor();
  asio::co_spawn(ex, [self] { return self->read_loop(); }, asio::detached);
  asio::co_spawn(ex, [self] { return self->write_loop(); }, asio::detached);
  asio::co_spawn(ex, [self] { return self->watchdog(); }, asio::detached);
}

void ImapConnection::wake_writer() {
  if (writer_waiting_) writer_wakeup_.cancel();
}

void ImapConnection::queue(std::string_view text) {
  out_.append(text);
  wake_writer();
}

void ImapConnection::begin_close() {
  closing_ = true;
  wake_writer();
  drained_.cancel();
  idle_timer_.cancel();
}

std::function<void()> ImapConnection::waker() {
  std::weak_ptr<ImapConnection> weak = shared_from_this();
  auto ex = socket_.get_executor();
  // Runs on the publishing thread: only hop to our strand.
  return [weak, ex] {
    asio::post(ex, [weak] {
      if (auto self = weak.lock()) self->idle_update();
    });
  };
}

void ImapConnection::idle_update() {
  if (closing_ || session_.idle_tag.empty() || !session_.selected) return;
  std::string updates;
  try {
    session_.selected->sync(updates, SyncOptions{true, session_.condstore, session_.qresync});
  } catch (const std::exception& e) {
    spdlog::warn("imap: update during IDLE failed: {}", e.what());
  }
  if (!updates.empty()) queue(updates);
}

void ImapConnection::count_bad() {
  if (++consecutive_bad_ >= ctx_.settings.max_bad_commands) {
    spdlog::warn("imap: closing connection from {} after {} bad commands in a row", session_.peer_ip,
                 consecutive_bad_);
    queue("* BYE Too many invalid commands\r\n");
    begin_close();
  }
}

awaitable<size_t> ImapConnection::read_some() {
  boost::system::error_code ec;
  if (!tls_ && !inflater_) {
    // Wait for readability without holding a buffer, so that idle connections cost no buffer.
    co_await socket_.async_wait(tcp::socket::wait_read, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return 0;
    size_t want = std::clamp<size_t>(socket_.available(ec), 1, kMaxRead);
    char* p = framer_.prepare(want);
    size_t n = socket_.read_some(asio::buffer(p, want), ec);
    framer_.commit(ec ? 0 : n);
    if (ec == asio::error::would_block || ec == asio::error::try_again) co_return 1;
    co_return ec ? 0 : n;
  }
  std::string raw(16 * 1024, '\0');
  size_t n = 0;
  if (tls_) {
    n = co_await tls_->async_read_some(asio::buffer(raw), asio::redirect_error(use_awaitable, ec));
  } else {
    co_await socket_.async_wait(tcp::socket::wait_read, asio::redirect_error(use_awaitable, ec));
    if (!ec) n = socket_.read_some(asio::buffer(raw), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) co_return 1;
  }
  if (ec || n == 0) co_return 0;
  raw.resize(n);
  if (!inflater_) {
    framer_.feed(raw);
    co_return n;
  }
  std::string plain;
  if (!inflater_->decompress(raw, plain)) {
    spdlog::info("imap: corrupt compressed stream from {}", session_.peer_ip);
    co_return 0;
  }
  framer_.feed(plain);
  co_return n;
}

awaitable<bool> ImapConnection::handshake() {
  handshaking_ = true;
  tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *ctx_.tls);
  boost::system::error_code ec;
  co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
  handshaking_ = false;
  if (ec) {
    spdlog::info("imap: TLS handshake with {} failed: {}", session_.peer_ip, ec.message());
    co_return false;
  }
  session_.tls_active = true;
  wake_writer();
  co_return true;
}

awaitable<void> ImapConnection::read_loop() {
  try {
    if (implicit_tls_ && !co_await handshake()) {
      begin_close();
      co_return;
    }
    queue("* OK [CAPABILITY " + capabilities(ctx_, session_) + "] ximssd IMAP4rev1 ready\r\n");
    while (!closing_) {
      size_t n = co_await read_some();
      if (n == 0 || closing_) break;
      last_activity_ = std::chrono::steady_clock::now();
      co_await process_commands();
      framer_.release_if_idle();
    }
  } catch (const std::exception& e) {
    spdlog::debug("imap: connection from {} failed: {}", session_.peer_ip, e.what());
  }
  begin_close();
}

awaitable<void> ImapConnection::process_commands() {
  while (!closing_) {
    auto event = framer_.next();
    if (!event) break;
    switch (event->kind) {
      case CommandFramer::Kind::continuation_needed:
        queue("+ Ready for literal data\r\n");
        continue;
      case CommandFramer::Kind::line_too_long:
        queue(event->tag.empty() ? std::string("* BAD line too long\r\n")
                                 : std::string(event->tag) + " BAD line too long\r\n");
        count_bad();
        continue;
      case CommandFramer::Kind::literal_too_large:
        queue((event->tag.empty() ? std::string("*") : std::string(event->tag)) +
              " NO [TOOBIG] literal is larger than " + std::to_string(ctx_.settings.max_literal) + " bytes\r\n");
        continue;
      case CommandFramer::Kind::command:
        break;
    }
    std::string text(event->text);  // the framer's view ends with the next read
    co_await run_command(text);
    if (starting_tls_) {
      starting_tls_ = false;
      co_await wait_for_drain(0);
      // Anything the client pipelined after STARTTLS in clear text is dropped (RFC 3501 6.2.1).
      framer_ = CommandFramer(framer_limits(ctx_.settings));
      if (!closing_ && !co_await handshake()) begin_close();
      break;
    }
    if (pending_output() > kHighWater) co_await wait_for_drain(kHighWater / 2);
  }
}

awaitable<void> ImapConnection::run_command(std::string_view text) {
  if (!session_.idle_tag.empty()) {
    end_idle(text);
    co_return;
  }
  std::string output;
  if (session_.sasl) {
    CommandContext c{ctx_, session_, session_.sasl_tag, "AUTHENTICATE", ArgumentReader(""), output, waker(),
                     [this](std::string& out) { return flush_output(out); }};
    co_await continue_authenticate(c, text);
    queue(output);
    finish(c);
    co_return;
  }
  std::optional<Command> command;
  try {
    command.emplace(parse_command(text));
  } catch (const SyntaxError& e) {
    std::string tag(tag_of(text));
    queue((tag.empty() ? std::string("*") : tag) + " BAD " + e.what() + "\r\n");
    count_bad();
    co_return;
  }
  CommandContext c{ctx_, session_, command->tag, command->name, command->args, output, waker(),
                   [this](std::string& out) { return flush_output(out); }};
  co_await dispatch(c);
  queue(output);
  finish(c);
}

awaitable<void> ImapConnection::flush_output(std::string& out) {
  queue(out);
  out.clear();
  if (pending_output() > kHighWater) co_await wait_for_drain(kHighWater / 2);
}

void ImapConnection::finish(CommandContext& c) {
  if (c.status != "BAD") consecutive_bad_ = 0;
  if (!c.respond) return;
  std::string line = c.tag + " " + c.status + " ";
  if (!c.code.empty()) line += "[" + c.code + "] ";
  // The text may come from elsewhere (the database's messages span lines): it stays one line.
  std::string text = c.text.empty() ? c.name + " completed" : c.text;
  std::replace_if(text.begin(), text.end(), [](char ch) { return ch == '\r' || ch == '\n' || ch == '\0'; }, ' ');
  line += text;
  line += "\r\n";
  queue(line);
  if (c.status == "BAD") count_bad();  // after the response: a BYE it causes comes last
  if (current_timeout() != armed_timeout_) idle_timer_.cancel();  // logged in: re-arm
  switch (c.after) {
    case CommandContext::After::nothing:
      break;
    case CommandContext::After::close:
      begin_close();
      break;
    case CommandContext::After::start_tls:
      // The reader runs the handshake (starting_tls_) once the OK is out in clear text.
      starting_tls_ = true;
      break;
    case CommandContext::After::compress:
      // Everything after the OK is compressed, both ways.
      inflater_ = std::make_unique<Inflater>();
      deflate_after_ = out_.size();
      break;
  }
}

void ImapConnection::end_idle(std::string_view line) {
  std::string tag = std::move(session_.idle_tag);
  session_.idle_tag.clear();
  if (!iequals(line, "DONE")) {
    queue(tag + " BAD expected DONE\r\n");
    count_bad();
    return;
  }
  std::string updates;
  if (session_.selected) session_.selected->sync(updates, SyncOptions{true, session_.condstore, session_.qresync});
  queue(updates + tag + " OK IDLE terminated\r\n");
}

awaitable<void> ImapConnection::wait_for_drain(size_t level) {
  while (!closing_ && (pending_output() > level || (level == 0 && !writing_.empty()))) {
    reader_waiting_ = true;
    drained_.expires_at(std::chrono::steady_clock::time_point::max());
    boost::system::error_code ec;
    co_await drained_.async_wait(asio::redirect_error(use_awaitable, ec));
    reader_waiting_ = false;
  }
}

awaitable<void> ImapConnection::write_loop() {
  boost::system::error_code ec;
  while (!ec) {
    if (!out_.empty() && !handshaking_) {
      writing_.swap(out_);
      std::string_view data = writing_;
      if (deflater_ || deflate_after_ != std::string::npos) {
        // The OK to COMPRESS goes out in clear; compressed bytes start only with the next
        // response (a client switches its reader after that OK, not within its read).
        size_t clear = deflater_ ? 0 : std::min(deflate_after_, writing_.size());
        compressed_.assign(writing_, 0, clear);
        if (clear < writing_.size()) {
          if (!deflater_) deflater_ = std::make_unique<Deflater>();
          deflater_->compress(std::string_view(writing_).substr(clear), compressed_);
        }
        deflate_after_ = deflater_ ? std::string::npos : 0;
        data = compressed_;
      }
      if (tls_) co_await asio::async_write(*tls_, asio::buffer(data), asio::redirect_error(use_awaitable, ec));
      else co_await asio::async_write(socket_, asio::buffer(data), asio::redirect_error(use_awaitable, ec));
      writing_.clear();
      compressed_.clear();
      if (out_.empty()) {
        std::string().swap(writing_);
        std::string().swap(out_);
        std::string().swap(compressed_);
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
  begin_close();
  if (tls_ && !ec && !handshaking_) {
    // TLS ends with a close_notify (OpenSSL 3 clients report an EOF without one as an error);
    // a peer that does not answer it is not waited for long.
    socket_.cancel(ec);  // the reader's pending read ends first: the stream takes one reader
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
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

std::chrono::seconds ImapConnection::current_timeout() const {
  return session_.logged_in() ? ctx_.settings.idle_timeout : ctx_.settings.login_timeout;
}

awaitable<void> ImapConnection::watchdog() {
  while (!closing_) {
    armed_timeout_ = current_timeout();
    auto deadline = last_activity_ + armed_timeout_;
    if (std::chrono::steady_clock::now() >= deadline) {
      spdlog::info("imap: closing idle connection from {}", session_.peer_ip);
      queue("* BYE Autologout; idle for too long\r\n");
      begin_close();
      break;
    }
    idle_timer_.expires_at(deadline);
    boost::system::error_code ec;
    co_await idle_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

void listen_imap(asio::io_context& io, const tcp::endpoint& endpoint, ImapContext& ctx, bool implicit_tls) {
  ximss::listen_tcp(io, endpoint, implicit_tls ? "IMAPS" : "IMAP", [&ctx, implicit_tls](tcp::socket socket) {
    std::make_shared<ImapConnection>(std::move(socket), ctx, implicit_tls)->start();
  });
}

}  // namespace ximssd::imap
