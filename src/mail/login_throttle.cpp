#include "mail/login_throttle.hpp"

#include <algorithm>

namespace ximssd::mail {

LoginThrottle::LoginThrottle(std::chrono::milliseconds base, std::chrono::milliseconds max,
                             std::chrono::seconds forget_after)
    : base_(base), max_(max), forget_after_(forget_after) {}

std::chrono::milliseconds LoginThrottle::delay_of(const std::string& key, Clock::time_point now) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.failures == 0) return std::chrono::milliseconds(0);
  if (now - it->second.last > forget_after_) {
    entries_.erase(it);
    return std::chrono::milliseconds(0);
  }
  unsigned shift = std::min(it->second.failures - 1, 20u);
  return std::min(max_, std::chrono::milliseconds(base_.count() << shift));
}

std::chrono::milliseconds LoginThrottle::delay_for(const std::string& account, const std::string& address) {
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  return std::max(delay_of("a:" + account, now), delay_of("i:" + address, now));
}

void LoginThrottle::bump(const std::string& key, Clock::time_point now) {
  auto& e = entries_[key];
  if (now - e.last > forget_after_) e.failures = 0;
  ++e.failures;
  e.last = now;
}

void LoginThrottle::record_failure(const std::string& account, const std::string& address) {
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  if (entries_.size() > 100000) prune(now);
  bump("a:" + account, now);
  bump("i:" + address, now);
}

void LoginThrottle::record_success(const std::string& account) {
  std::lock_guard lock(mutex_);
  entries_.erase("a:" + account);
}

void LoginThrottle::prune(Clock::time_point now) {
  std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.last > forget_after_; });
}

}  // namespace ximssd::mail
