// Reading a message's pieces as text: a leaf part's content (shared by the renderer, the
// reply/forward templates, S/MIME and vCards), and where the header ends (ingest, search).
#pragma once

#include <gmime/gmime.h>

#include <string>
#include <string_view>

namespace ximssd::mime {

// The part's content, decoded from its transfer encoding (not converted from its charset).
std::string decoded_content(GMimePart* part);

// The length of a message's header block, the blank line included (LF or CRLF line ends):
// where its body starts. The whole message when it has no blank line.
size_t header_length(std::string_view message);

// Every line end (CRLF, CR or LF) becomes a Line Feed.
std::string lf_line_ends(std::string_view text);

// A text part's content as UTF-8 (converted from its charset, invalid bytes replaced) with LF
// line ends; other parts give their decoded bytes, made valid UTF-8 the same way.
std::string part_text(GMimePart* part);

}  // namespace ximssd::mime
