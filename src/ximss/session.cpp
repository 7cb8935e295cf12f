#include "ximss/session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/random.hpp"

namespace ximssd::ximss {

namespace {
constexpr size_t kMaxPendingAsync = 1000;  // oldest messages are dropped past this
}

Session::Session(std::string url_id, store::AccountRecord account, std::string client_ip,
                 std::chrono::seconds idle_timeout)
    : idle_timeout(idle_timeout),
      url_id_(std::move(url_id)),
      account_(std::move(account)),
      client_ip_(std::move(client_ip)) {
  // Secrets are not needed after login; do not keep them in every session.
  account_.password_hash.clear();
  account_.cram_md5_secret.clear();
  account_.scram_sha256.clear();
  account_.password_hash.shrink_to_fit();
  account_.cram_md5_secret.shrink_to_fit();
  account_.scram_sha256.shrink_to_fit();
}

boost::asio::awaitable<void> SessionGate::enter() {
  std::shared_ptr<boost::asio::steady_timer> timer;
  {
    std::lock_guard lock(mutex_);
    if (!busy_) {
      busy_ = true;
      co_return;
    }
    timer = std::make_shared<boost::asio::steady_timer>(co_await boost::asio::this_coro::executor,
                                                        std::chrono::steady_clock::time_point::max());
    waiters_.push_back(timer);
  }
  boost::system::error_code ec;
  co_await timer->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  // leave() handed the gate over: busy_ stayed true.
}

void SessionGate::leave() {
  std::shared_ptr<boost::asio::steady_timer> next;
  {
    std::lock_guard lock(mutex_);
    if (waiters_.empty()) {
      busy_ = false;
      return;
    }
    next = std::move(waiters_.front());
    waiters_.pop_front();
  }
  // Woken on its own strand: after its wait began (the waiter does not yield between queueing
  // itself and waiting), and an expiry in the past wakes a wait not yet begun as well.
  boost::asio::post(next->get_executor(), [next] { next->expires_at(std::chrono::steady_clock::time_point::min()); });
}

boost::asio::awaitable<void> run_in_session(std::shared_ptr<Session> session,
                                            std::function<boost::asio::awaitable<void>()> work) {
  co_await session->gate.enter();
  SessionGate::Held held(&session->gate);
  co_await work();
}

bool Session::kill() {
  std::function<void()> killer;
  {
    std::lock_guard lock(mutex_);
    if (killed_) return false;
    killed_ = true;
    killer.swap(killer_);
  }
  if (killer) killer();
  return true;
}

bool Session::killed() {
  std::lock_guard lock(mutex_);
  return killed_;
}

void Session::set_killer(std::function<void()> killer) {
  std::lock_guard lock(mutex_);
  killer_ = std::move(killer);
}

void Session::deliver_async(std::string message) {
  std::unique_lock lock(mutex_);
  if (sink_) {
    auto sink = sink_;
    lock.unlock();
    sink(std::move(message));
    return;
  }
  if (pending_.size() >= kMaxPendingAsync) pending_.pop_front();
  pending_.push_back(std::move(message));
}

void Session::attach(std::function<void(std::string)> sink) {
  std::deque<std::string> queued;
  {
    std::lock_guard lock(mutex_);
    sink_ = sink;
    queued.swap(pending_);
  }
  for (auto& m : queued) sink(std::move(m));
}

void Session::detach() {
  std::lock_guard lock(mutex_);
  sink_ = nullptr;
}

std::shared_ptr<Session> SessionRegistry::create(store::AccountRecord account, std::string client_ip,
                                                 std::chrono::seconds idle_timeout) {
  std::lock_guard lock(mutex_);
  // A counter (for readability in logs) and 24 random alphanumerics: over 140 bits of randomness.
  std::string url_id = (node_.empty() ? "" : node_ + ".") + std::to_string(++counter_) + "-" + random_alnum(24);
  auto session = std::make_shared<Session>(url_id, std::move(account), std::move(client_ip), idle_timeout);
  sessions_[url_id] = session;
  return session;
}

std::shared_ptr<Session> SessionRegistry::find(const std::string& url_id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(url_id);
  return it == sessions_.end() ? nullptr : it->second.lock();
}

void SessionRegistry::remove(const std::string& url_id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(url_id);
}

size_t SessionRegistry::size() {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace ximssd::ximss
