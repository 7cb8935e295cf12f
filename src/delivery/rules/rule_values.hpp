// The values Rule parameters hold, read the same way when a Rule is validated and when it is
// evaluated: CommuniGate's "pictures" (patterns with '*'), comma-separated lists, sizes, dates,
// times of day, "Name: pattern" header parameters, flag names and address lists.
// Coroutine-free (the fuzz target links it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::delivery::rule_values {

// '*' matches any run of characters (none included); everything else matches itself, ASCII
// letters in either case.
bool wildcard_match(std::string_view pattern, std::string_view text);

// "a, b ,c" -> {"a", "b", "c"}; empty items are dropped.
std::vector<std::string> split_list(std::string_view list);

// "1234", "10K", "2M", "1G" (a letter multiplies by 1024, 1024^2, 1024^3; any case).
std::optional<uint64_t> parse_size(std::string_view text);

// A date as YYYYMMDD (so dates compare as numbers): "2024-05-31", "20240531" or the XIMSS
// time stamp form "20240531T120000" (its time ignored).
std::optional<int> parse_date(std::string_view text);

// A time of day as seconds since midnight: "HH:MM" or "HH:MM:SS".
std::optional<int> parse_time_of_day(std::string_view text);

// 0 = Sunday .. 6 = Saturday for "Sun"/"Sunday" ... (any case); nothing for another word.
std::optional<int> parse_weekday(std::string_view text);
std::string_view weekday_name(int weekday);  // "Sunday" ...

// The "Header Field" parameter "X-Junk: 5*": the field name and the value pattern (or the
// comma-separated value patterns, for "in"). Nothing when there is no ':' or the name is not a
// valid field name.
struct HeaderParameter {
  std::string name;
  std::string pattern;
};
std::optional<HeaderParameter> parse_header_parameter(std::string_view text);

// RFC 5322 field name: printable ASCII other than ':' and space.
bool is_field_name(std::string_view name);

// A "Mark" name as XIMSS spells it: the message flags (Seen, Flagged, ... any case;
// CommuniGate's "Read" is Seen) and the keywords $Label1..$Label7 ("Label1" is accepted too).
std::optional<std::string> canonical_mark(std::string_view name);

// An address list parameter ("a@x.dom, b@y.dom"): the addr-specs as given. Nothing when the
// list is empty or an item is not user@domain (no spaces, no angle brackets, one '@').
std::optional<std::vector<std::string>> parse_address_list(std::string_view list);

}  // namespace ximssd::delivery::rule_values
