// Small pieces shared by the reports the server writes (delivery-status and disposition
// notifications): header fields of the original message, MIME boundaries. (RFC 5322 dates:
// format_rfc5322_date in base/time_format.hpp.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ximssd::delivery {

// The message's header (up to and without the empty line), CRLF line ends.
std::string_view header_of(std::string_view message);
// The unfolded value of the first field `name` (case-insensitive) in `header`, trimmed.
std::optional<std::string> header_field(std::string_view header, std::string_view name);
// The addr-spec inside "Name <a@b>" or a bare "a@b" (the first address of a list).
std::string first_address(std::string_view field_value);
// `text` with CR and LF replaced by spaces: safe inside a header field.
std::string one_line(std::string_view text);
// The message without the header fields `name` (each with its continuation lines); the body is
// untouched. The transmitted copy of a submitted message loses its Bcc this way.
std::string remove_header_field(std::string_view message, std::string_view name);
// A boundary no message line is likely to hold.
std::string new_boundary();

}  // namespace ximssd::delivery
