#include "delivery/rules/auto_reply_record.hpp"

#include <algorithm>
#include <vector>

#include "base/text.hpp"

namespace ximssd::delivery {

AutoReplyRecord AutoReplyRecord::parse(std::string_view stored) {
  AutoReplyRecord record;
  while (!stored.empty()) {
    size_t end = stored.find('\n');
    std::string_view line = stored.substr(0, end);
    stored.remove_prefix(end == std::string_view::npos ? stored.size() : end + 1);
    size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    auto when = parse_decimal(line.substr(0, space));
    std::string address = ascii_lower(line.substr(space + 1));
    if (when && !address.empty()) record.last_[address] = *when;
  }
  return record;
}

std::string AutoReplyRecord::serialize() const {
  std::string out;
  for (const auto& [address, when] : last_) out += std::to_string(when) + " " + address + "\n";
  return out;
}

bool AutoReplyRecord::claim(std::string_view sender, int64_t now, int64_t period) {
  std::erase_if(last_, [&](const auto& entry) { return entry.second + period <= now || entry.second > now; });
  std::string key = ascii_lower(sender);
  if (last_.contains(key)) return false;
  if (last_.size() >= kMaxAutoReplyEntries) {
    // Drop the oldest tenth at once rather than one entry per reply.
    std::vector<std::pair<int64_t, std::string>> by_time;
    for (const auto& [address, when] : last_) by_time.emplace_back(when, address);
    std::sort(by_time.begin(), by_time.end());
    for (size_t i = 0; i < by_time.size() / 10 + 1; ++i) last_.erase(by_time[i].second);
  }
  last_[key] = now;
  return true;
}

}  // namespace ximssd::delivery
