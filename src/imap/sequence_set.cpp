#include "imap/sequence_set.hpp"

#include <algorithm>

namespace ximssd::imap {

namespace {

// seq-number = nz-number / "*"; nz-number has no leading zero and fits 32 bits.
std::optional<uint32_t> parse_seq_number(std::string_view text) {
  if (text == "*") return SequenceSet::kStar;
  if (text.empty() || text.size() > 10 || text[0] == '0') return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(value);
}

uint32_t resolve(uint32_t n, uint32_t max) { return n == SequenceSet::kStar ? max : n; }

}  // namespace

std::optional<SequenceSet> SequenceSet::parse(std::string_view text) {
  SequenceSet set;
  if (text == "$") return saved_result();
  size_t pos = 0;
  for (;;) {
    size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos);
    size_t colon = item.find(':');
    auto first = parse_seq_number(item.substr(0, colon));
    if (!first) return std::nullopt;
    Range range{*first, *first};
    if (colon != std::string_view::npos) {
      auto last = parse_seq_number(item.substr(colon + 1));
      if (!last) return std::nullopt;
      range.last = *last;
    }
    set.ranges_.push_back(range);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return set;
}

SequenceSet SequenceSet::saved_result() {
  SequenceSet set;
  set.saved_result_ = true;
  return set;
}

bool SequenceSet::contains(uint32_t n, uint32_t max) const {
  if (n == 0) return false;
  for (const Range& r : ranges_) {
    uint32_t a = resolve(r.first, max), b = resolve(r.last, max);
    if (a > b) std::swap(a, b);
    if (n >= a && n <= b) return true;
  }
  return false;
}

std::vector<SequenceSet::Range> SequenceSet::normalized(uint32_t max) const {
  std::vector<Range> out;
  for (const Range& r : ranges_) {
    uint32_t a = resolve(r.first, max), b = resolve(r.last, max);
    if (a > b) std::swap(a, b);
    a = std::max<uint32_t>(a, 1);
    b = std::min(b, max);
    if (a <= b) out.push_back({a, b});
  }
  std::sort(out.begin(), out.end(), [](const Range& x, const Range& y) { return x.first < y.first; });
  std::vector<Range> merged;
  for (const Range& r : out) {
    // Adjacent ranges merge too; the uint64_t keeps last + 1 from wrapping at 2^32-1.
    if (!merged.empty() && static_cast<uint64_t>(r.first) <= static_cast<uint64_t>(merged.back().last) + 1)
      merged.back().last = std::max(merged.back().last, r.last);
    else
      merged.push_back(r);
  }
  return merged;
}

std::vector<uint32_t> SequenceSet::expand(uint32_t max) const {
  std::vector<uint32_t> out;
  for (const Range& r : normalized(max))
    for (uint64_t n = r.first; n <= r.last; ++n) out.push_back(static_cast<uint32_t>(n));
  return out;
}

std::vector<uint32_t> SequenceSet::intersect(std::span<const uint32_t> sorted) const {
  std::vector<uint32_t> out;
  if (sorted.empty()) return out;
  for (const Range& r : normalized(sorted.back())) {
    auto from = std::lower_bound(sorted.begin(), sorted.end(), r.first);
    auto to = std::upper_bound(from, sorted.end(), r.last);
    out.insert(out.end(), from, to);
  }
  return out;
}

std::string SequenceSet::to_string() const {
  if (saved_result_) return "$";
  std::string out;
  auto number = [](uint32_t n) { return n == kStar ? std::string("*") : std::to_string(n); };
  for (const Range& r : ranges_) {
    if (!out.empty()) out += ',';
    out += number(r.first);
    if (r.last != r.first) out += ':' + number(r.last);
  }
  return out;
}

}  // namespace ximssd::imap
