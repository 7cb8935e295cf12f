// The body of XIMSS over HTTP in both directions: a <XIMSS> document whose children are
// requests (from the client) or data messages and responses (to it).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "formats/xml/request_parser.hpp"

namespace ximssd::http {

// `content` (complete messages, concatenated) as a <XIMSS> document, with respSeq when given.
std::string ximss_envelope(std::string_view content, std::optional<uint64_t> resp_seq = std::nullopt);

// A request body as the client sent it: the parsed <XIMSS> document, or, when it is not XML or
// not <XIMSS>, the error response (carrying the id when one can be read) to answer with.
struct XimssBatch {
  std::shared_ptr<xml::ParsedDocument> doc;
  std::string error;
};
XimssBatch read_batch(std::string_view body, size_t max_depth);

}  // namespace ximssd::http
