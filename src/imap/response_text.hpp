// Writing IMAP response data (RFC 3501 section 4 and 9): strings in the lightest form that
// carries them (atom, quoted string or literal), NIL, date-times, and sets of numbers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ximssd::imap {

// A quoted string when `text` can be one (no CR, LF, NUL or 8-bit bytes, and not too long),
// else a literal "{n}\r\n" + text.
void append_string(std::string& out, std::string_view text);
// As append_string, or NIL for an absent value.
void append_nstring(std::string& out, const std::string* text);
// An atom when `text` is one (astring), else as append_string.
void append_astring(std::string& out, std::string_view text);

// RFC 3501 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" (day padded with a space), in the zone
// `offset_minutes` east of UTC.
std::string format_date_time(int64_t epoch_seconds, int offset_minutes = 0);

// Sorted, distinct numbers as a sequence set with ranges: "1:3,5,8:9". Empty for none.
std::string format_number_set(std::span<const int64_t> sorted);

}  // namespace ximssd::imap
