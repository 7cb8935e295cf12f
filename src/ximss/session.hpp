// A logged-in XIMSS session: who it is, its options and its additional data. A session outlives
// no transport by itself over TCP, but it is its own object so that the HTTP binding can keep
// sessions between requests. Asynchronous messages reach the client through the sink its
// transport attaches; without a sink they wait in a bounded queue.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "formats/xml/xml_value.hpp"
#include "mail/folder_view.hpp"
#include "mime/compose.hpp"
#include "store/records.hpp"

namespace ximssd::ximss {

// Lets one request of a session run at a time, in arrival order, whichever door (a TCP
// connection, an HTTP request, a session URL) it came through. A request runs on the executor
// of the connection that brought it (no hop to another thread: measured, the hops cost more than
// the requests); the gate's lock and the hand-over make its state visible to the next holder.
// enter() must be called from a strand (every connection runs on one); uncontended it never
// suspends.
class SessionGate {
 public:
  boost::asio::awaitable<void> enter();
  void leave();

  // Leaves the gate when it goes out of scope (however the request ends): hold one right after
  // `co_await gate.enter()`. A null gate holds nothing.
  class Held {
   public:
    explicit Held(SessionGate* gate) : gate_(gate) {}
    ~Held() {
      if (gate_) gate_->leave();
    }
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;

   private:
    SessionGate* gate_;
  };

 private:
  std::mutex mutex_;
  bool busy_ = false;
  std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

class Session {
 public:
  Session(std::string url_id, store::AccountRecord account, std::string client_ip,
          std::chrono::seconds idle_timeout);

  const std::string& url_id() const { return url_id_; }
  const store::AccountRecord& account() const { return account_; }
  const std::string& client_ip() const { return client_ip_; }
  std::chrono::system_clock::time_point started() const { return started_; }

  // State below is only touched by requests, inside the session's gate.
  xml::XmlValue data = xml::XmlValue::dictionary();
  // While reportMailboxChanges is on: the change hub subscription sending mailboxModified.
  std::shared_ptr<void> mailbox_changes;
  std::atomic<std::chrono::seconds> idle_timeout;  // read by the HTTP sweeper too
  std::string language = "English";
  std::string client_version = "5.4";
  // The uploaded-file set, by uploadID: data sources for composed messages (listUploaded,
  // clearUploaded). HTTP uploads add to it.
  std::map<std::string, mime::UploadedFile> uploads;
  // The open Folder Views, by the names the client gave them.
  std::map<std::string, mail::FolderView> folders;

  // The gate its requests pass one at a time, and a strand for work no connection brings (an
  // HTTP session's async batches). The executor is set by the transport right after login.
  boost::asio::any_io_executor executor;
  SessionGate gate;
  // HTTP access: whether requests must come from client_ip() (on unless DisableIPWatch), and
  // the cookie they must carry ("name=value"; empty: none needed).
  bool ip_watch = true;
  std::string cookie;
  // Whether HTTP requests from `ip` may reach the session (IP watch).
  bool reachable_from(std::string_view ip) const { return !ip_watch || client_ip_ == ip; }

  // Thread-safe: hands an asynchronous message (a complete XML element) to the client.
  void deliver_async(std::string message);
  // The transport's sink; messages queued while there was none are handed over at once.
  void attach(std::function<void(std::string)> sink);
  void detach();
  // Thread-safe: ends the session at once, without cleanup (the KILL URL): the transport's
  // killer closes its connection or binding. Returns false when it had already ended.
  bool kill();
  bool killed();
  void set_killer(std::function<void()> killer);

 private:
  std::string url_id_;
  store::AccountRecord account_;
  std::string client_ip_;
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
  std::mutex mutex_;
  std::function<void(std::string)> sink_;
  std::function<void()> killer_;
  bool killed_ = false;
  std::deque<std::string> pending_;
};

// How logs name a session: the counter before the urlID's dash. The rest of the urlID is the
// secret that grants access to the session's URLs, so it is never written to a log.
inline std::string_view log_name(std::string_view url_id) { return url_id.substr(0, url_id.find('-')); }

// Runs `work` inside the session's gate, on the caller's executor. `work` may capture by
// reference: the caller waits for it.
boost::asio::awaitable<void> run_in_session(std::shared_ptr<Session> session,
                                            std::function<boost::asio::awaitable<void>()> work);

// All live sessions by urlID (for the HTTP binding and for administration).
class SessionRegistry {
 public:
  // `node` (letters, digits, '_'; may be empty) starts every urlID this registry makes, as
  // "<node>.<counter>-<secret>": a load balancer in front of several nodes sends each HTTP
  // session's requests (/Session/<urlID>/...) to the node that named it.
  explicit SessionRegistry(std::string node = {}) : node_(std::move(node)) {}
  std::shared_ptr<Session> create(store::AccountRecord account, std::string client_ip,
                                  std::chrono::seconds idle_timeout);
  std::shared_ptr<Session> find(const std::string& url_id);
  void remove(const std::string& url_id);
  size_t size();

 private:
  std::string node_;
  std::mutex mutex_;
  uint64_t counter_ = 0;
  std::unordered_map<std::string, std::weak_ptr<Session>> sessions_;
};

}  // namespace ximssd::ximss
