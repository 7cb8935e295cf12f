#include "mime/quoted_text.hpp"

namespace ximssd::mime {

namespace {

// RFC 5322's recommended line length: what quoting and unflowing may produce at most, where a
// line has spaces to break at.
constexpr size_t kLineWidth = 78;

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Characters, not bytes: UTF-8 continuation bytes do not count.
size_t display_width(std::string_view text) {
  size_t width = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++width;
  return width;
}

// The byte offset where the `count`th character starts (or the end).
size_t offset_of_character(std::string_view text, size_t count) {
  size_t seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (seen++ == count) return i;
  }
  return text.size();
}

void rtrim(std::string& text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
}

// "> > x" (the usual non-flowed form) and ">> x" are both depth 2.
TextLine fixed_line(std::string_view line) {
  TextLine out;
  size_t i = 0;
  while (i < line.size() && line[i] == '>') {
    ++out.depth;
    ++i;
    if (i + 1 < line.size() && line[i] == ' ' && line[i + 1] == '>') ++i;
  }
  if (out.depth > 0 && i < line.size() && line[i] == ' ') ++i;
  out.text = line.substr(i);
  return out;
}

}  // namespace

std::vector<TextLine> text_lines(std::string_view text, bool flowed, bool delsp) {
  std::vector<TextLine> lines;
  if (!flowed) {
    for (std::string_view line : split_lines(text)) lines.push_back(fixed_line(line));
    return lines;
  }
  bool joining = false;  // the last line ended with a soft break
  for (std::string_view line : split_lines(text)) {
    int depth = 0;
    while (static_cast<size_t>(depth) < line.size() && line[depth] == '>') ++depth;
    line.remove_prefix(depth);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);  // space-stuffing
    // A soft break joins only lines of the same depth (RFC 3676 4.5: a change of depth ends
    // the paragraph).
    if (!(joining && lines.back().depth == depth)) lines.push_back(TextLine{depth, {}});
    bool soft = !line.empty() && line.back() == ' ' && line != "-- ";
    if (soft && delsp) line.remove_suffix(1);
    lines.back().text += line;
    joining = soft;
  }
  return lines;
}

void drop_signature(std::vector<TextLine>& lines) {
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].depth == 0 && lines[i].text == "-- ") {
      lines.resize(i);
      break;
    }
  }
  auto blank = [](const TextLine& line) { return line.text.find_first_not_of(" \t") == std::string::npos; };
  while (!lines.empty() && blank(lines.back()) && lines.back().depth == 0) lines.pop_back();
  size_t first = 0;
  while (first < lines.size() && blank(lines[first]) && lines[first].depth == 0) ++first;
  lines.erase(lines.begin(), lines.begin() + static_cast<std::ptrdiff_t>(first));
}

std::string lines_as_text(const std::vector<TextLine>& lines, int extra_depth) {
  std::string out;
  for (const TextLine& line : lines) {
    int depth = line.depth + extra_depth;
    std::string prefix = depth > 0 ? std::string(static_cast<size_t>(depth), '>') : "";
    std::string text = line.text;
    if (text != "-- ") rtrim(text);  // the signature separator keeps its space
    if (depth > 0 && !text.empty()) prefix += ' ';
    size_t prefix_width = display_width(prefix);
    size_t room = kLineWidth > prefix_width ? kLineWidth - prefix_width : 1;
    // Wrap at spaces; a word longer than the line stays whole. Each step looks at one line's
    // worth of text, so a huge paragraph costs time in proportion to its length.
    std::string_view rest = text;
    while (offset_of_character(rest, room) < rest.size()) {
      size_t limit = offset_of_character(rest, room);
      size_t space = rest.rfind(' ', limit);
      if (space == std::string_view::npos || space == 0) space = rest.find(' ', limit);
      if (space == std::string_view::npos) break;
      std::string_view head = rest.substr(0, space);
      while (!head.empty() && (head.back() == ' ' || head.back() == '\t')) head.remove_suffix(1);
      size_t next = rest.find_first_not_of(' ', space);
      if (head.empty() || next == std::string_view::npos) break;
      out += prefix;
      out += head;
      out += '\n';
      rest.remove_prefix(next);
    }
    out += prefix;
    out += rest;
    out += '\n';
  }
  return out;
}

}  // namespace ximssd::mime
