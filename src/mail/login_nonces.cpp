#include "mail/login_nonces.hpp"

#include "base/random.hpp"
#include "base/time_format.hpp"

namespace ximssd::mail {

std::string LoginNonces::issue() {
  std::string nonce = "<" + random_alnum(20) + "." + std::to_string(now_seconds().time_since_epoch().count()) + "@" +
                      hostname_ + ">";
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  expire(now);
  // Past the capacity the oldest nonces go first: a flood of listFeatures cannot grow memory.
  while (by_age_.size() >= capacity_) {
    live_.erase(by_age_.front().second);
    by_age_.pop_front();
  }
  live_.insert(nonce);
  by_age_.emplace_back(now, nonce);
  return nonce;
}

bool LoginNonces::consume(std::string_view nonce) {
  std::lock_guard lock(mutex_);
  expire(std::chrono::steady_clock::now());
  // The entry in by_age_ stays until it expires; erase from live_ is what makes it single-use.
  return live_.erase(std::string(nonce)) == 1;
}

void LoginNonces::expire(std::chrono::steady_clock::time_point now) {
  while (!by_age_.empty() && now - by_age_.front().first > lifetime_) {
    live_.erase(by_age_.front().second);
    by_age_.pop_front();
  }
}

}  // namespace ximssd::mail
