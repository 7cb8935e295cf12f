#include "http/rate_limiter.hpp"

#include <algorithm>

namespace ximssd::http {

bool RateLimiter::allow(const std::string& address) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  // Buckets that have filled up again carry no information: forget them once a minute, so the
  // table holds only the addresses active lately.
  if (now - last_cleanup_ > std::chrono::minutes(1)) {
    std::erase_if(buckets_, [&](const auto& item) {
      double seconds = std::chrono::duration<double>(now - item.second.updated).count();
      return item.second.tokens + seconds * rate_ >= burst_;
    });
    last_cleanup_ = now;
  }
  auto [it, fresh] = buckets_.try_emplace(address, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    double seconds = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(burst_, b.tokens + seconds * rate_);
    b.updated = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace ximssd::http
