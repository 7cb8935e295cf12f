// Slows down password guessing: every failed login in a row for an account, or from a client
// address, doubles the delay before the next attempt for that key is answered (base, 2*base,
// 4*base, ... up to a maximum). Counts are forgotten after a quiet period. Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ximssd::mail {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  LoginThrottle(std::chrono::milliseconds base, std::chrono::milliseconds max,
                std::chrono::seconds forget_after = std::chrono::minutes(15));

  // How long to wait before answering an attempt for this account and address.
  std::chrono::milliseconds delay_for(const std::string& account, const std::string& address);
  void record_failure(const std::string& account, const std::string& address);
  void record_success(const std::string& account);

 private:
  struct Entry {
    unsigned failures = 0;
    Clock::time_point last;
  };
  std::chrono::milliseconds delay_of(const std::string& key, Clock::time_point now);
  void bump(const std::string& key, Clock::time_point now);
  void prune(Clock::time_point now);

  std::chrono::milliseconds base_, max_;
  std::chrono::seconds forget_after_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace ximssd::mail
