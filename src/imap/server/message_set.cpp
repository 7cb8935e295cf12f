#include "imap/server/message_set.hpp"

#include <algorithm>

namespace ximssd::imap {

std::vector<size_t> resolve_set(CommandContext& c, const SequenceSet& set, bool uid) {
  const SelectedMailbox& s = c.selected();
  std::vector<size_t> out;
  if (set.is_saved_result()) {
    for (uint32_t u : c.session.saved_result)
      if (auto i = s.index_of(u)) out.push_back(*i);
    std::sort(out.begin(), out.end());
    return out;
  }
  if (uid) return s.indexes_of_uids(set);
  size_t count = s.count();
  for (const auto& range : set.ranges()) {
    uint32_t first = range.first == SequenceSet::kStar ? static_cast<uint32_t>(count) : range.first;
    uint32_t last = range.last == SequenceSet::kStar ? static_cast<uint32_t>(count) : range.last;
    if (first == 0 || last == 0 || std::max(first, last) > count)
      throw SyntaxError("invalid message sequence number: the mailbox has " + std::to_string(count) + " messages", 0);
  }
  for (const auto& range : set.normalized(static_cast<uint32_t>(count)))
    for (uint32_t n = range.first; n <= range.last; ++n) out.push_back(n - 1);
  return out;
}

std::vector<int64_t> uids_at(const SelectedMailbox& s, const std::vector<size_t>& indexes) {
  std::vector<int64_t> out;
  out.reserve(indexes.size());
  for (size_t i : indexes) out.push_back(s.uid_at(i));
  return out;
}

}  // namespace ximssd::imap
