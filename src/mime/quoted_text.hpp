// Internal to the mime library: plain text as lines with their quote depth, the form reply
// and forward templates work in. A reader's quote levels come from leading '>' marks; in
// format=flowed text (RFC 3676) soft line breaks are joined first, so a paragraph is one line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ximssd::mime {

struct TextLine {
  int depth = 0;     // how many levels of quotation ('>' marks) the line had
  std::string text;  // without the quote marks and the space after them
};

// The lines of a text body (LF line ends). `flowed`: RFC 3676 section 4.1 and 4.2 (soft breaks
// joined between lines of the same depth, space-stuffing removed, `delsp` trailing spaces
// deleted). Otherwise each line stands as it is; "> > x" counts as depth 2.
std::vector<TextLine> text_lines(std::string_view text, bool flowed, bool delsp);

// Drops a signature: the first unquoted "-- " line and everything after it. Also drops blank
// lines at the start and the end.
void drop_signature(std::vector<TextLine>& lines);

// The lines as text, each `extra_depth` levels deeper than it was: ">" per level, then a space
// before non-empty text (so "> x" quoted again is ">> x"). Lines longer than 78 characters are
// wrapped at spaces, the continuations keeping the same quote marks. LF line ends, with a final
// line end when there is any line.
std::string lines_as_text(const std::vector<TextLine>& lines, int extra_depth);

}  // namespace ximssd::mime
