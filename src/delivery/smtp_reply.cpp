#include "delivery/smtp_reply.hpp"

#include <stdexcept>

#include "base/text.hpp"

namespace ximssd::delivery {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "5.1.1" at the start of `text` (class 2, 4 or 5, then 1-3 and 1-3 digits): its length, or 0.
size_t enhanced_code_length(std::string_view text) {
  if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.') return 0;
  size_t i = 2, digits = 0;
  while (i < text.size() && is_digit(text[i]) && digits < 3) ++i, ++digits;
  if (!digits || i >= text.size() || text[i] != '.') return 0;
  ++i;
  digits = 0;
  while (i < text.size() && is_digit(text[i]) && digits < 3) ++i, ++digits;
  if (!digits || (i < text.size() && text[i] != ' ')) return 0;
  return i;
}

}  // namespace

Outcome SmtpReply::outcome() const {
  Outcome o;
  o.code = code;
  std::string last = lines.empty() ? std::string() : lines.back();
  size_t n = enhanced_code_length(last);
  if (n && last[0] - '0' == code / 100) {
    o.enhanced = last.substr(0, n);
    o.text = trim_whitespace(std::string_view(last).substr(n));
  } else {
    o.enhanced = std::to_string(code / 100) + ".0.0";
    o.text = trim_whitespace(last);
  }
  if (o.text.empty()) o.text = "(no text)";
  return o;
}

bool add_reply_line(SmtpReply& reply, std::string_view line) {
  if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) || line[0] < '2' ||
      line[0] > '5' || (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
    throw std::runtime_error("not an SMTP reply: " + std::string(line.substr(0, 80)));
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (!reply.lines.empty() && code != reply.code)
    throw std::runtime_error("SMTP reply lines with different codes");
  reply.code = code;
  reply.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
  return line.size() == 3 || line[3] == ' ';
}

std::string dot_stuff(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 50 + 8);
  bool line_start = true;
  for (size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (line_start && c == '.') out += '.';
    line_start = false;
    if (c == '\r' && i + 1 < message.size() && message[i + 1] == '\n') continue;  // written with the '\n'
    if (c == '\n' || c == '\r') {
      out += "\r\n";
      line_start = true;
      continue;
    }
    out += c;
  }
  if (!line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

std::string xtext(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (c < '!' || c > '~' || c == '+' || c == '=') {
      out += '+';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace ximssd::delivery
