// RFC 3501 sequence sets ("1:3,5,7:*") as ranges, never as expanded lists: a client may send
// "1:4294967295", and the set must cost the same as "1". "*" stays symbolic until the caller
// says what it stands for (the message count, or the highest UID), and "$" (RFC 5182, the saved
// search result) is recognised as a set of its own that the session resolves.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::imap {

class SequenceSet {
 public:
  static constexpr uint32_t kStar = 0;  // "*": sequence numbers and UIDs are never 0

  // One range as sent: first may be larger than last ("3:1" is "1:3"), either may be kStar.
  struct Range {
    uint32_t first = 0;
    uint32_t last = 0;
    bool operator==(const Range&) const = default;
  };

  // Parses the whole of `text`; nothing on any syntax error or a number outside 1..2^32-1.
  static std::optional<SequenceSet> parse(std::string_view text);
  static SequenceSet saved_result();  // "$"

  bool is_saved_result() const { return saved_result_; }
  const std::vector<Range>& ranges() const { return ranges_; }

  // With "*" standing for `max` (which may be 0: an empty mailbox). A set that is "$" contains
  // nothing here; the caller resolves it first.
  bool contains(uint32_t n, uint32_t max) const;
  // The ranges with "*" resolved, each ordered, clipped to 1..max, sorted and merged.
  std::vector<Range> normalized(uint32_t max) const;
  // Every number in the set, up to `max`: at most `max` entries, so only for message sequence
  // numbers (max is the message count). For UIDs use intersect().
  std::vector<uint32_t> expand(uint32_t max) const;
  // The members of `sorted` (ascending, unique: the existing UIDs or sequence numbers) that are
  // in the set, with "*" standing for the last of them. Costs O(ranges * log(sorted)) plus the
  // output, however large the ranges are.
  std::vector<uint32_t> intersect(std::span<const uint32_t> sorted) const;

  // Canonical text: the ranges as sent ("3:1" stays "3:1"), or "$".
  std::string to_string() const;

  bool operator==(const SequenceSet&) const = default;

 private:
  std::vector<Range> ranges_;
  bool saved_result_ = false;
};

}  // namespace ximssd::imap
