#include "imap/response_text.hpp"

#include <cstdio>
#include <ctime>

namespace ximssd::imap {

namespace {

// Longer strings go as literals even when they could be quoted: clients read those fastest.
constexpr size_t kMaxQuoted = 1024;

bool quotable(std::string_view text) {
  if (text.size() > kMaxQuoted) return false;
  for (unsigned char c : text)
    if (c == '\r' || c == '\n' || c == '\0' || c >= 0x80) return false;
  return true;
}

// RFC 3501 ATOM-CHAR: any CHAR except atom-specials ( ) { SP CTL % * " \ ]
bool is_atom(std::string_view text) {
  if (text.empty() || text.size() > kMaxQuoted) return false;
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f) return false;
    switch (c) {
      case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']':
        return false;
      default:
        break;
    }
  }
  return !(text.size() == 3 && (text[0] == 'N' || text[0] == 'n') && (text[1] == 'I' || text[1] == 'i') &&
           (text[2] == 'L' || text[2] == 'l'));
}

}  // namespace

void append_string(std::string& out, std::string_view text) {
  if (quotable(text)) {
    out.push_back('"');
    for (char c : text) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
    return;
  }
  out += '{';
  out += std::to_string(text.size());
  out += "}\r\n";
  out.append(text);
}

void append_nstring(std::string& out, const std::string* text) {
  if (!text) out += "NIL";
  else append_string(out, *text);
}

void append_astring(std::string& out, std::string_view text) {
  if (is_atom(text)) out.append(text);
  else append_string(out, text);
}

std::string format_date_time(int64_t epoch_seconds, int offset_minutes) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t local = static_cast<time_t>(epoch_seconds + int64_t{offset_minutes} * 60);
  struct tm t {};
  gmtime_r(&local, &t);
  int offset = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%2d-%s-%04d %02d:%02d:%02d %c%02d%02d", t.tm_mday, kMonths[t.tm_mon],
                t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec, offset_minutes < 0 ? '-' : '+', offset / 60,
                offset % 60);
  return buffer;
}

std::string format_number_set(std::span<const int64_t> sorted) {
  std::string out;
  size_t i = 0;
  while (i < sorted.size()) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (!out.empty()) out.push_back(',');
    out += std::to_string(sorted[i]);
    if (j > i) {
      out.push_back(':');
      out += std::to_string(sorted[j]);
    }
    i = j + 1;
  }
  return out;
}

}  // namespace ximssd::imap
