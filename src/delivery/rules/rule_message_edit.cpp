#include "delivery/rules/rule_message_edit.hpp"

#include "base/base64.hpp"
#include "base/text.hpp"
#include "mime/part_content.hpp"

namespace ximssd::delivery {

namespace {

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 128) return false;
  return true;
}

std::string encoded_word(std::string_view text) { return "=?UTF-8?B?" + base64_encode(text) + "?="; }

// The message's line end: the one its first line uses (the contract is CRLF; an LF-only
// message keeps LF).
std::string_view line_end(std::string_view message) {
  size_t lf = message.find('\n');
  return (lf != std::string_view::npos && lf > 0 && message[lf - 1] == '\r') || lf == std::string_view::npos ? "\r\n"
                                                                                                                : "\n";
}

}  // namespace

std::string add_header_line(std::string_view message, std::string_view line) {
  size_t colon = line.find(':');
  std::string name(line.substr(0, colon));
  std::string value = colon == std::string_view::npos ? "" : trim_whitespace(line.substr(colon + 1));
  if (!is_ascii(value)) value = encoded_word(value);
  std::string out = name + ": " + value;
  out += line_end(message);
  out += message;
  return out;
}

std::string tag_subject(std::string_view message, std::string_view tag, std::string_view decoded_subject) {
  std::string t = trim_whitespace(tag);
  if (t.empty()) return std::string(message);
  if (ascii_lower(decoded_subject).find(ascii_lower(t)) != std::string::npos) return std::string(message);
  std::string_view header = message.substr(0, mime::header_length(message));
  // Find a line that starts with "Subject:" (a field, not a continuation line).
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find('\n', pos);
    std::string_view line = header.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (line.size() >= 8 && iequals(line.substr(0, 8), "Subject:")) {
      size_t value = pos + 8;
      while (value < header.size() && (header[value] == ' ' || header[value] == '\t')) ++value;
      bool rest_encoded = header.substr(value, 2) == "=?";
      // Encoded words separated by white space are joined without it, so a non-ASCII tag
      // carries its own trailing space when the rest of the Subject is encoded too.
      std::string prefix = is_ascii(t) ? t + " " : encoded_word(rest_encoded ? t + " " : t) + " ";
      std::string out(message.substr(0, value));
      out += prefix;
      out += message.substr(value);
      return out;
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  std::string out = "Subject: " + (is_ascii(t) ? t : encoded_word(t));
  out += line_end(message);
  out += message;
  return out;
}

}  // namespace ximssd::delivery
