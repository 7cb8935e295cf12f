// Reading an HTTP request target: percent-decoding, the query parameters and the path
// segments. No I/O and no coroutines, so the fuzz target links it alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ximssd::http {

// Percent-decodes `text` ('+' stays '+': paths do not use form encoding; use
// decode_query_component for query values). nullopt for a malformed escape or an encoded NUL.
std::optional<std::string> percent_decode(std::string_view text);
// As percent_decode, with '+' read as a space (application/x-www-form-urlencoded).
std::optional<std::string> decode_query_component(std::string_view text);

struct RequestTarget {
  std::string path;  // still encoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded names and values

  // The first value of `name` (names compare case-insensitively, as clients vary), or nullopt.
  std::optional<std::string_view> param(std::string_view name) const;
  // True when the parameter is present with a value other than "0", "no" or "false".
  bool flag(std::string_view name) const;
};

// Splits "path?query"; nullopt when a query component is malformed.
std::optional<RequestTarget> parse_target(std::string_view target);

// The path's segments (after its leading '/'), each percent-decoded. nullopt when a
// segment does not decode, or is "." or ".." (nothing may walk out of where a URL points).
std::optional<std::vector<std::string>> decode_segments(std::string_view path);

}  // namespace ximssd::http
