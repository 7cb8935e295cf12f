// XIMSS over TCP: one connection. Three coroutines share its strand:
//  - the reader takes complete frames, runs each request in order and queues its output;
//  - the writer sends queued output (responses and asynchronous messages) as it accumulates;
//  - the watchdog ends connections idle past the login or session timeout with <bye/>.
// When queued output exceeds a high-water mark the reader stops taking requests until the
// peer has read it, so a client that floods requests without reading cannot grow our memory.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>

#include "base/error.hpp"
#include "ximss/context.hpp"
#include "ximss/frame_reader.hpp"

namespace ximssd::ximss {

class XimssConnection : public std::enable_shared_from_this<XimssConnection> {
 public:
  XimssConnection(boost::asio::ip::tcp::socket socket, XimssContext& ctx);
  ~XimssConnection();
  void start();

 private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> watchdog();
  boost::asio::awaitable<size_t> read_some();
  boost::asio::awaitable<void> process_frames();
  boost::asio::awaitable<void> wait_for_drain(size_t level);
  boost::asio::awaitable<void> start_tls();
  void protocol_error(ErrorCode code, const std::string& text, const std::string& id);
  void count_protocol_error();  // ends the connection after too many in a row
  void queue_message(std::string_view message);  // appends a message and its terminator
  void wake_writer();
  void attach_session();
  void begin_close();
  size_t pending_output() const { return out_.size() + writing_.size(); }

  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  XimssContext& ctx_;
  ConnectionState state_;
  FrameReader frames_;
  std::string out_;      // output waiting for the writer
  std::string writing_;  // output being written
  boost::asio::steady_timer writer_wakeup_;
  boost::asio::steady_timer drained_;
  boost::asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::seconds armed_timeout_{0};  // the timeout the watchdog is sleeping on
  std::chrono::seconds current_timeout() const;
  unsigned consecutive_errors_ = 0;
  bool session_attached_ = false;
  bool writer_waiting_ = false;
  bool reader_waiting_ = false;
  bool handshaking_ = false;
  bool closing_ = false;  // take no more input; close once the output is flushed
  bool closed_ = false;
};

}  // namespace ximssd::ximss
