#include "http/http_sessions.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "base/text.hpp"

namespace ximssd::http {

namespace {
// Past this many queued messages the oldest unsent ones are dropped (a client that stopped
// polling; its session ends at the idle timeout anyway).
constexpr size_t kMaxUnsent = 10000;
}  // namespace

HttpBinding::HttpBinding(std::shared_ptr<ximss::Session> session, ximss::ConnectionState state)
    : session_(std::move(session)), state_(std::move(state)) {
  touch();
}

std::optional<std::string> HttpBinding::replay(const std::optional<std::string>& req_seq) const {
  if (!req_seq || !last_req_seq_) return std::nullopt;
  if (*req_seq == *last_req_seq_) return last_reply_;
  // reqSeq grows by one per POST.
  auto n = parse_decimal(*req_seq), last = parse_decimal(*last_req_seq_);
  if (n && last && *n < *last) return "<XIMSS/>";
  return std::nullopt;
}

void HttpBinding::remember(std::optional<std::string> req_seq, std::string reply) {
  last_req_seq_ = std::move(req_seq);
  last_reply_ = std::move(reply);
}

void HttpBinding::wake(const std::shared_ptr<PollWaiter>& waiter) {
  if (!waiter) return;
  boost::asio::post(waiter->timer.get_executor(), [waiter] { waiter->timer.cancel(); });
}

void HttpBinding::push_async(std::string message) {
  std::shared_ptr<PollWaiter> waiter;
  {
    std::lock_guard lock(mutex_);
    if (unsent_count_ >= kMaxUnsent) {
      spdlog::warn("http: session {} is not polling; dropping its queued messages", ximss::log_name(session_->url_id()));
      unsent_.clear();
      unsent_count_ = 0;
    }
    unsent_ += message;
    ++unsent_count_;
    waiter = waiter_;
  }
  wake(waiter);
}

std::string HttpBinding::take_unsent() {
  std::lock_guard lock(mutex_);
  std::string out;
  out.swap(unsent_);
  unsent_count_ = 0;
  return out;
}

std::optional<AsyncBatch> HttpBinding::unacknowledged_locked() {
  if (!unsent_.empty()) {
    sent_.push_back(AsyncBatch{++resp_seq_, std::move(unsent_)});
    unsent_.clear();
    unsent_count_ = 0;
  }
  if (sent_.empty()) return std::nullopt;
  AsyncBatch out;
  out.resp_seq = resp_seq_;
  for (const auto& batch : sent_) out.messages += batch.messages;
  return out;
}

std::optional<AsyncBatch> HttpBinding::poll(std::optional<uint64_t> ack, const std::shared_ptr<PollWaiter>& waiter) {
  std::shared_ptr<PollWaiter> replaced;
  std::optional<AsyncBatch> out;
  {
    std::lock_guard lock(mutex_);
    uint64_t acknowledged = ack.value_or(resp_seq_);
    while (!sent_.empty() && sent_.front().resp_seq <= acknowledged) sent_.pop_front();
    out = unacknowledged_locked();
    // One poll at a time: a newer one ends the older (which answers empty at once).
    replaced = std::move(waiter_);
    if (!out) waiter_ = waiter;
  }
  if (replaced && replaced != waiter) {
    replaced->superseded = true;
    wake(replaced);
  }
  return out;
}

std::optional<AsyncBatch> HttpBinding::pending() {
  std::lock_guard lock(mutex_);
  return unacknowledged_locked();
}

void HttpBinding::end_poll(const std::shared_ptr<PollWaiter>& waiter) {
  std::lock_guard lock(mutex_);
  if (waiter_ == waiter) waiter_.reset();
  touch();
}

bool HttpBinding::idle(std::chrono::steady_clock::time_point now) {
  {
    std::lock_guard lock(mutex_);
    if (waiter_) return false;
  }
  auto last = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(last_activity_.load()));
  return now - last > session_->idle_timeout.load();
}

void HttpBinding::end() {
  ended_ = true;
  std::shared_ptr<PollWaiter> waiter;
  {
    std::lock_guard lock(mutex_);
    waiter = std::move(waiter_);
  }
  if (waiter) {
    waiter->superseded = true;
    wake(waiter);
  }
}

std::shared_ptr<HttpBinding> HttpSessions::bind(ximss::ConnectionState state, bool ip_watch, std::string cookie) {
  auto session = state.session;
  session->executor = boost::asio::make_strand(io_);
  session->ip_watch = ip_watch;
  session->cookie = std::move(cookie);
  auto binding = std::make_shared<HttpBinding>(session, std::move(state));
  std::weak_ptr<HttpBinding> weak = binding;
  session->attach([weak](std::string message) {
    if (auto live = weak.lock()) live->push_async(std::move(message));
  });
  std::string url_id = session->url_id();
  session->set_killer([this, url_id] { end(url_id); });
  std::lock_guard lock(mutex_);
  bindings_[url_id] = binding;
  return binding;
}

std::shared_ptr<HttpBinding> HttpSessions::find(const std::string& url_id) {
  std::lock_guard lock(mutex_);
  auto it = bindings_.find(url_id);
  return it == bindings_.end() ? nullptr : it->second;
}

void HttpSessions::end(const std::string& url_id) {
  std::shared_ptr<HttpBinding> binding;
  {
    std::lock_guard lock(mutex_);
    auto it = bindings_.find(url_id);
    if (it == bindings_.end()) return;
    binding = std::move(it->second);
    bindings_.erase(it);
  }
  registry_.remove(url_id);
  binding->session()->detach();
  binding->session()->kill();  // no-op when this is the killer running
  binding->end();
  spdlog::debug("http: session {} ended", ximss::log_name(url_id));
}

size_t HttpSessions::size() {
  std::lock_guard lock(mutex_);
  return bindings_.size();
}

void HttpSessions::clear() {
  std::lock_guard lock(mutex_);
  bindings_.clear();
}

void HttpSessions::sweep() {
  auto now = std::chrono::steady_clock::now();
  std::vector<std::string> idle;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, binding] : bindings_)
      if (binding->idle(now)) idle.push_back(id);
  }
  for (const auto& id : idle) {
    spdlog::info("http: session {} timed out", ximss::log_name(id));
    end(id);
  }
}

void HttpSessions::start_sweeper() {
  boost::asio::co_spawn(
      io_,
      [this]() -> boost::asio::awaitable<void> {
        boost::asio::steady_timer timer(io_);
        for (;;) {
          timer.expires_after(std::chrono::seconds(1));
          co_await timer.async_wait(boost::asio::use_awaitable);
          sweep();
        }
      },
      boost::asio::detached);
}

}  // namespace ximssd::http
