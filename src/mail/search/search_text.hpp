// Internal to the search code: the text a search compares strings with. Header fields decoded
// (RFC 2047), bodies as the UTF-8 text of their text parts, everything case-folded the same way
// so that a substring test is a case-insensitive match.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::mail::search {

// `utf8` case-folded: ASCII letters lowered, and other characters folded as Unicode's simple
// and full case folding (g_utf8_casefold) says. Invalid UTF-8 is repaired first.
std::string fold_case(std::string_view utf8);

struct HeaderField {
  std::string name;   // as written
  std::string value;  // unfolded, encoded words decoded, trimmed; valid UTF-8
};

// The fields of a header block (or of a whole message: it stops at the first empty line).
std::vector<HeaderField> header_fields(std::string_view header);

// The searchable text of a message's body: every text/* part converted from its charset to
// UTF-8 (HTML parts as the text a reader sees), and the header fields of attached messages,
// "Name: value" one a line. Parts of other types are not searched.
std::string body_text(std::string_view message);

// The day of a Date field's value in the field's own time zone, as days since 1970-01-01;
// nothing when it is not a date.
std::optional<int64_t> date_field_day(std::string_view value);

}  // namespace ximssd::mail::search
