// Internal to the mime library: reading a leaf part's content, shared by the renderer and the
// reply/forward templates.
#pragma once

#include <gmime/gmime.h>

#include <string>
#include <string_view>

namespace ximssd::mime {

// The part's content, decoded from its transfer encoding (not converted from its charset).
std::string decoded_content(GMimePart* part);

// Every line end (CRLF, CR or LF) becomes a Line Feed.
std::string lf_line_ends(std::string_view text);

// A text part's content as UTF-8 (converted from its charset, invalid bytes replaced) with LF
// line ends; other parts give their decoded bytes, made valid UTF-8 the same way.
std::string part_text(GMimePart* part);

}  // namespace ximssd::mime
