#include "imap/server/recent_tracker.hpp"

#include <algorithm>

namespace ximssd::imap {

uint32_t RecentTracker::claim(int64_t mailbox_id, uint32_t highest, uint32_t first_seen_mark) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = claimed_.try_emplace(mailbox_id, first_seen_mark);
  uint32_t before = it->second;
  it->second = std::max(before, highest);
  return std::min(before, highest);
}

uint32_t RecentTracker::mark(int64_t mailbox_id, uint32_t first_seen_mark) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = claimed_.try_emplace(mailbox_id, first_seen_mark);
  return it->second;
}

}  // namespace ximssd::imap
