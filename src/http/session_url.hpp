// The parts of a session URL that need reading: which message part a /MIME/ URL names, and
// which bytes a Range header or OffsetFrom/OffsetTill ask for. No I/O, so the fuzz target
// links it alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::http {

// /Session/ID/MIME/folder/UID-partID-suffix[/filename] (the segments after "MIME").
struct MimeLocator {
  enum class Mode { whole_part, header, body, related };
  std::string folder;   // the Folder View's name (may hold '/')
  int64_t uid = 0;
  std::string part_id;  // "" for the message itself
  Mode mode = Mode::body;
  std::string content_id;  // for Mode::related: the Content-ID wanted (decoded, no <>)
};

// Every reading of the segments that fits the grammar, the longest folder name first. A folder
// name may contain '/' and a file name may look like a part locator, so which reading is meant
// is decided by the caller: the one whose folder is an open view.
std::vector<MimeLocator> parse_mime_locators(const std::vector<std::string>& segments);

// A byte range, half-open: [first, last).
struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;
};

// How a request's range applies to a resource of `size` bytes.
struct RangeDecision {
  enum class Kind { whole, partial, unsatisfiable } kind = Kind::whole;
  ByteRange range;
};

// A Range header ("bytes=a-b", "bytes=a-", "bytes=-n"; one range: a header with several, or in
// another unit, is ignored as RFC 9110 allows).
RangeDecision decide_range_header(std::string_view header, uint64_t size);
// OffsetFrom (inclusive) and OffsetTill (exclusive, optional) as the seed defines them.
RangeDecision decide_offsets(std::string_view offset_from, std::optional<std::string_view> offset_till, uint64_t size);

}  // namespace ximssd::http
