// Small text helpers shared by every layer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ximssd {

bool is_valid_utf8(std::string_view s);
// `s` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view s);
std::string ascii_lower(std::string_view s);
std::string ascii_upper(std::string_view s);
// `s` without leading and trailing spaces, tabs, CRs and LFs.
std::string trim_whitespace(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool is_yes(std::string_view value);  // "yes", "1", "true" (case-insensitive)
// A non-negative decimal number with nothing around it (no sign, no spaces), or nothing.
std::optional<int64_t> parse_decimal(std::string_view text);
// Splits "name@domain" at the last '@'; domain is empty when there is none.
std::pair<std::string, std::string> split_address(std::string_view address);

}  // namespace ximssd
