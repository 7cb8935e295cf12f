#include "delivery/queue/report_text.hpp"

#include "base/random.hpp"
#include "base/text.hpp"

namespace ximssd::delivery {

std::string_view header_of(std::string_view message) {
  if (message.starts_with("\r\n")) return {};
  size_t end = message.find("\r\n\r\n");
  if (end != std::string_view::npos) return message.substr(0, end + 2);
  end = message.find("\n\n");
  if (end != std::string_view::npos) return message.substr(0, end + 1);
  return message;
}

std::optional<std::string> header_field(std::string_view header, std::string_view name) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t eol = header.find('\n', pos);
    if (eol == std::string_view::npos) eol = header.size();
    std::string_view line = header.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && line[0] != ' ' && line[0] != '\t' &&
        iequals(trim_whitespace(line.substr(0, colon)), name)) {
      auto without_cr = [](std::string_view l) { return l.ends_with('\r') ? l.substr(0, l.size() - 1) : l; };
      std::string value(without_cr(line.substr(colon + 1)));
      // Folded continuation lines.
      size_t next = eol + 1;
      while (next < header.size() && (header[next] == ' ' || header[next] == '\t')) {
        size_t e = header.find('\n', next);
        if (e == std::string_view::npos) e = header.size();
        value += ' ';
        value += without_cr(header.substr(next, e - next));
        next = e + 1;
      }
      return one_line(trim_whitespace(value));
    }
    pos = eol + 1;
  }
  return std::nullopt;
}

std::string first_address(std::string_view value) {
  size_t open = value.find('<');
  if (open != std::string_view::npos) {
    size_t close = value.find('>', open);
    if (close != std::string_view::npos) return trim_whitespace(value.substr(open + 1, close - open - 1));
  }
  size_t comma = value.find(',');
  return trim_whitespace(value.substr(0, comma));
}

std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

std::string remove_header_field(std::string_view message, std::string_view name) {
  std::string_view header = header_of(message);
  std::string out;
  out.reserve(message.size());
  size_t pos = 0;
  bool dropping = false;
  while (pos < header.size()) {
    size_t eol = header.find('\n', pos);
    eol = eol == std::string_view::npos ? header.size() : eol + 1;
    std::string_view line = header.substr(pos, eol - pos);
    bool continuation = line[0] == ' ' || line[0] == '\t';
    if (!continuation) {
      size_t colon = line.find(':');
      dropping = colon != std::string_view::npos && iequals(trim_whitespace(line.substr(0, colon)), name);
    }
    if (!dropping) out += line;
    pos = eol;
  }
  out += message.substr(header.size());
  return out;
}

std::string new_boundary() { return "=_ximssd_" + random_alnum(24); }

}  // namespace ximssd::delivery
