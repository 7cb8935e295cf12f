#include "http/request_target.hpp"

#include "base/text.hpp"

namespace ximssd::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return std::nullopt;
      out.push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text) { return decode(text, false); }

std::optional<std::string> decode_query_component(std::string_view text) { return decode(text, true); }

std::optional<std::string_view> RequestTarget::param(std::string_view name) const {
  for (const auto& [n, v] : query)
    if (iequals(n, name)) return std::string_view(v);
  return std::nullopt;
}

bool RequestTarget::flag(std::string_view name) const {
  auto v = param(name);
  return v && *v != "0" && !iequals(*v, "no") && !iequals(*v, "false");
}

std::optional<RequestTarget> parse_target(std::string_view target) {
  RequestTarget out;
  size_t q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    auto name = decode_query_component(item.substr(0, eq));
    auto value = decode_query_component(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    out.query.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::optional<std::vector<std::string>> decode_segments(std::string_view path) {
  std::vector<std::string> segments;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    auto segment = percent_decode(path.substr(0, slash));
    if (!segment || *segment == "." || *segment == "..") return std::nullopt;
    segments.push_back(std::move(*segment));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

}  // namespace ximssd::http
