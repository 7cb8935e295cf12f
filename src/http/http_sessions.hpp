// XIMSS sessions reached over HTTP. A session logged in through /XIMSSLogin/ gets a binding:
// the per-transport state its requests run with (what a TCP connection holds for its session),
// the memory of its last reqSeq and reply, and the queue of asynchronous messages that the
// long-poll GET hands out and the client acknowledges. Bindings end by KILL, by <bye/>, or
// when the session stays idle (no request, no long-poll waiting) past its idle timeout.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>

#include "ximss/context.hpp"
#include "ximss/session.hpp"

namespace ximssd::http {

// A long-poll GET waiting for asynchronous messages.
struct PollWaiter {
  explicit PollWaiter(boost::asio::any_io_executor executor)
      : timer(executor, std::chrono::steady_clock::time_point::max()) {}
  boost::asio::steady_timer timer;  // cancelled to wake the poll
  bool superseded = false;          // a newer poll took its place, or the session ended
};

// One batch of asynchronous messages handed to a long-poll reply.
struct AsyncBatch {
  uint64_t resp_seq = 0;
  std::string messages;  // every unacknowledged message, concatenated
};

class HttpBinding {
 public:
  HttpBinding(std::shared_ptr<ximss::Session> session, ximss::ConnectionState state);

  const std::shared_ptr<ximss::Session>& session() const { return session_; }
  // The state the session's requests run with. Touched only inside the session's gate.
  ximss::ConnectionState& state() { return state_; }
  // Inside the gate: the reply a batch numbered `req_seq` gets without running (a retry of the
  // last batch gets its stored reply; an older batch, arriving late, has run already and gets
  // an empty one), or nullopt when it is to run; and the reply of the batch that ran.
  std::optional<std::string> replay(const std::optional<std::string>& req_seq) const;
  void remember(std::optional<std::string> req_seq, std::string reply);

  // Thread-safe: queues an asynchronous message and wakes the waiting poll.
  void push_async(std::string message);
  // The messages queued and not yet handed to any reply (for syncAsync=1): taken away.
  std::string take_unsent();
  // Acknowledges the batches up to `ack` (none given: everything handed out so far), then
  // returns what is unacknowledged, or registers `waiter` (replacing and waking an older one)
  // and returns nullopt when nothing is.
  std::optional<AsyncBatch> poll(std::optional<uint64_t> ack, const std::shared_ptr<PollWaiter>& waiter);
  // What is unacknowledged now (after a poll was woken), without waiting.
  std::optional<AsyncBatch> pending();
  void end_poll(const std::shared_ptr<PollWaiter>& waiter);

  void touch() { last_activity_.store(std::chrono::steady_clock::now().time_since_epoch().count()); }
  // True when the session has had no request and no waiting poll for longer than its timeout.
  bool idle(std::chrono::steady_clock::time_point now);
  bool ended() const { return ended_.load(); }
  // Marks it ended and wakes its poll (which then answers 550).
  void end();

 private:
  std::optional<AsyncBatch> unacknowledged_locked();
  static void wake(const std::shared_ptr<PollWaiter>& waiter);

  std::shared_ptr<ximss::Session> session_;
  ximss::ConnectionState state_;
  std::optional<std::string> last_req_seq_;
  std::string last_reply_;
  std::atomic<bool> ended_{false};
  std::atomic<int64_t> last_activity_;

  std::mutex mutex_;
  std::string unsent_;
  size_t unsent_count_ = 0;
  std::deque<AsyncBatch> sent_;  // handed out, not acknowledged
  uint64_t resp_seq_ = 0;
  std::shared_ptr<PollWaiter> waiter_;
};

class HttpSessions {
 public:
  HttpSessions(boost::asio::io_context& io, ximss::SessionRegistry& registry) : io_(io), registry_(registry) {}

  // Binds a session that was just logged in (its state holds it): gives it a strand of its own,
  // the async queue as its sink and the killer. `ip_watch`/`cookie` as Session documents.
  std::shared_ptr<HttpBinding> bind(ximss::ConnectionState state, bool ip_watch, std::string cookie);
  std::shared_ptr<HttpBinding> find(const std::string& url_id);
  // Ends the session: it is forgotten here and in the registry, and its poll answers.
  void end(const std::string& url_id);
  size_t size();
  // Forgets every binding (at shutdown, before the io_context goes).
  void clear();

  // Ends the idle ones: runs every second until the io_context stops.
  void start_sweeper();

 private:
  void sweep();

  boost::asio::io_context& io_;
  ximss::SessionRegistry& registry_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<HttpBinding>> bindings_;
};

}  // namespace ximssd::http
