// One LMTP or SMTP connection (TCP or a Unix socket), shaped like the IMAP connection: three
// coroutines on the connection's strand. The reader takes complete lines and runs each command
// to completion, in order (pipelined commands are answered in order); during DATA it hands the
// bytes to the session's decoder, and at the end of the message it waits for the delivery (the
// replies come only once the copies are durable). The writer sends the queued replies; the
// watchdog closes a connection silent for longer than smtp.timeout. Above 1 MiB of unsent
// replies the reader stops taking commands until the client reads.
#pragma once

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "smtp/smtp_session.hpp"

namespace ximssd::smtp {

class SmtpConnection : public std::enable_shared_from_this<SmtpConnection> {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;
  SmtpConnection(Socket socket, SmtpContext& ctx, Dialect dialect, std::string peer_ip);
  void start();

 private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> watchdog();
  boost::asio::awaitable<size_t> read_some();
  boost::asio::awaitable<void> process_input();
  boost::asio::awaitable<void> wait_for_drain(size_t level);
  boost::asio::awaitable<bool> handshake();
  void queue(std::string_view text);
  void begin_close();
  size_t pending_output() const { return out_.size() + writing_.size(); }

  Socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<Socket&>> tls_;
  SmtpContext& ctx_;
  std::string peer_ip_;  // empty for a Unix socket
  SmtpSession session_;
  InputBuffer input_;
  std::string out_;
  std::string writing_;
  boost::asio::steady_timer writer_wakeup_;
  boost::asio::steady_timer drained_;
  boost::asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_;
  bool writer_waiting_ = false;
  bool reader_waiting_ = false;
  bool handshaking_ = false;
  bool busy_ = false;  // delivering: the silence is ours, not the client's
  bool closing_ = false;
};

// LMTP or SMTP on a TCP endpoint. Binds now, so that errors surface at start-up.
void listen_smtp_tcp(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint, SmtpContext& ctx,
                     Dialect dialect);
// LMTP on a Unix socket at `path` (a stale socket file there is replaced; the socket is made
// writable by every local user, so that an MTA running under its own user can connect; guard
// it with the directory's permissions). Returns false, after logging why, when the path does not
// fit a socket address.
bool listen_lmtp_unix(boost::asio::io_context& io, const std::filesystem::path& path, SmtpContext& ctx);

}  // namespace ximssd::smtp
