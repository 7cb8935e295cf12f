// Requests per second per client address: a token bucket each, so that one address cannot
// flood the server with HTTP requests (each may log in, read a message, open a view...).
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ximssd::http {

class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst) : rate_(rate_per_second), burst_(burst) {}

  // Takes one token for `address`; false when its bucket is empty (answer 429).
  bool allow(const std::string& address);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  double rate_;
  double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::chrono::steady_clock::time_point last_cleanup_{};
};

}  // namespace ximssd::http
