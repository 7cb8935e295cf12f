// IMAP over TCP (or TLS from the first byte, IMAPS): one connection. As XIMSS's connection,
// three coroutines share its strand: the reader takes complete commands from the framer and
// runs them one at a time, in order (pipelined commands are answered in order); the writer sends
// the queued output; the watchdog enforces the login and autologout timeouts. Above 1 MiB of
// unsent output the reader stops taking commands until the client reads. Idle connections hold
// no read buffer. A change to the selected mailbox wakes a connection in IDLE, which then sends
// the untagged updates at once.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>

#include "imap/command_framer.hpp"
#include "imap/server/command.hpp"
#include "imap/server/deflate_stream.hpp"

namespace ximssd::imap {

class ImapConnection : public std::enable_shared_from_this<ImapConnection> {
 public:
  ImapConnection(boost::asio::ip::tcp::socket socket, ImapContext& ctx, bool implicit_tls);
  void start();

 private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> watchdog();
  boost::asio::awaitable<size_t> read_some();
  boost::asio::awaitable<void> process_commands();
  boost::asio::awaitable<void> run_command(std::string_view text);
  boost::asio::awaitable<void> wait_for_drain(size_t level);
  boost::asio::awaitable<bool> handshake();
  void finish(CommandContext& c);
  void end_idle(std::string_view line);
  void idle_update();
  void count_bad();
  void queue(std::string_view text);
  void wake_writer();
  void begin_close();
  std::function<void()> waker();
  boost::asio::awaitable<void> flush_output(std::string& out);
  size_t pending_output() const { return out_.size() + writing_.size(); }
  std::chrono::seconds current_timeout() const;

  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  ImapContext& ctx_;
  bool implicit_tls_;
  ImapSession session_;
  CommandFramer framer_;
  std::unique_ptr<Deflater> deflater_;  // COMPRESS=DEFLATE, once enabled
  std::unique_ptr<Inflater> inflater_;
  std::string out_;      // output waiting for the writer
  std::string writing_;  // output being written
  std::string compressed_;
  size_t deflate_after_ = std::string::npos;  // where in out_ compressed output begins
  boost::asio::steady_timer writer_wakeup_;
  boost::asio::steady_timer drained_;
  boost::asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::seconds armed_timeout_{0};
  unsigned consecutive_bad_ = 0;
  bool writer_waiting_ = false;
  bool reader_waiting_ = false;
  bool handshaking_ = false;
  bool closing_ = false;
  bool starting_tls_ = false;
};

// Accepts IMAP (STARTTLS available) or, with `implicit_tls`, IMAPS connections on `endpoint`.
void listen_imap(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint, ImapContext& ctx,
                 bool implicit_tls);

}  // namespace ximssd::imap
