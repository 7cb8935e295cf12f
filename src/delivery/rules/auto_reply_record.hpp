// Which senders an account's Rules have sent an automatic reply ("Reply with") to, and when: at
// most one reply per sender per rules.vacation_period. Kept as the account setting
// "RulesAutoReplies", one "<epoch seconds> <address>" line per sender; entries older than the
// period are dropped whenever the record is written. Coroutine-free.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace ximssd::delivery {

inline constexpr std::string_view kAutoReplySetting = "RulesAutoReplies";
// A bound on the record's size: past it the oldest entries go first.
inline constexpr size_t kMaxAutoReplyEntries = 10000;

class AutoReplyRecord {
 public:
  static AutoReplyRecord parse(std::string_view stored);
  std::string serialize() const;

  // True when `sender` (compared without letter case) had no reply in the `period` seconds
  // before `now`; it is then recorded as replied to at `now`. Drops expired entries either way.
  bool claim(std::string_view sender, int64_t now, int64_t period);

  size_t size() const { return last_.size(); }

 private:
  std::map<std::string, int64_t> last_;  // lower-cased address -> time of the last reply
};

}  // namespace ximssd::delivery
