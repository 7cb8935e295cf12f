// Parses one XIMSS message (an XML document, the zero terminator already removed) into a
// pugixml tree, enforcing the limits that keep a hostile peer harmless: UTF-8 only, bounded
// nesting depth, one root element. No DTD is processed and no entity is fetched.
#pragma once

#include <pugixml.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace ximssd::xml {

struct RequestLimits {
  size_t max_depth = 64;
};

struct ParseError {
  ErrorCode code;
  std::string text;
  std::string id;  // the request id when it could still be read from the raw text
};

// A parsed document with its root element. Movable; the element points into the document.
struct ParsedDocument {
  pugi::xml_document doc;
  pugi::xml_node root;
};

// Fills `out` and returns nullopt on success.
std::optional<ParseError> parse_message(std::string_view text, const RequestLimits& limits,
                                        ParsedDocument& out);

// Best effort: the value of the root element's `id` attribute read from raw (possibly broken)
// text, so that an error reply can still carry it. Empty when none can be read.
std::string sniff_request_id(std::string_view text);

}  // namespace ximssd::xml
