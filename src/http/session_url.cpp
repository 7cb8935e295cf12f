#include "http/session_url.hpp"

#include <charconv>

#include "base/text.hpp"

namespace ximssd::http {

namespace {

std::optional<uint64_t> number(std::string_view text) {
  uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "UID-[partID-]suffix": the UID and the part ID; `suffix` is what follows the last '-'.
struct Locator {
  int64_t uid;
  std::string part_id;
  std::string_view suffix;
};

std::optional<Locator> split_locator(std::string_view text) {
  size_t first = text.find('-');
  size_t last = text.rfind('-');
  if (first == std::string_view::npos) return std::nullopt;
  auto uid = number(text.substr(0, first));
  if (!uid || *uid == 0 || *uid > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  Locator out{static_cast<int64_t>(*uid), {}, text.substr(last + 1)};
  if (last > first) {
    std::string_view part = text.substr(first + 1, last - first - 1);
    // Part IDs are numbers joined by '-'.
    for (char c : part)
      if (!(c == '-' || (c >= '0' && c <= '9'))) return std::nullopt;
    if (part.empty() || part.front() == '-' || part.back() == '-' || part.find("--") != std::string_view::npos)
      return std::nullopt;
    out.part_id = std::string(part);
  }
  return out;
}

std::string join(const std::vector<std::string>& segments, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i) out.push_back('/');
    out += segments[i];
  }
  return out;
}

}  // namespace

std::vector<MimeLocator> parse_mime_locators(const std::vector<std::string>& segments) {
  std::vector<MimeLocator> out;
  // The locator sits at index i >= 1 (a folder needs at least one segment); after it come a
  // file name (P, H, B) or the Content-ID and an optional file name (R).
  for (size_t i = segments.size(); i-- > 1;) {
    auto loc = split_locator(segments[i]);
    if (!loc) continue;
    size_t after = segments.size() - i - 1;
    MimeLocator m;
    m.folder = join(segments, i);
    if (m.folder.empty()) continue;  // no view has an empty name
    m.uid = loc->uid;
    m.part_id = loc->part_id;
    if (loc->suffix == "P.txt" && after <= 1) {
      m.mode = MimeLocator::Mode::whole_part;
    } else if (loc->suffix == "H.txt" && after <= 1) {
      m.mode = MimeLocator::Mode::header;
    } else if (loc->suffix.size() >= 2 && loc->suffix.substr(0, 2) == "B." && after <= 1) {
      m.mode = MimeLocator::Mode::body;
    } else if (loc->suffix == "R" && (after == 1 || after == 2) && !segments[i + 1].empty()) {
      m.mode = MimeLocator::Mode::related;
      std::string_view cid = segments[i + 1];
      if (cid.size() >= 2 && cid.front() == '<' && cid.back() == '>') cid = cid.substr(1, cid.size() - 2);
      m.content_id = std::string(cid);
    } else {
      continue;
    }
    out.push_back(std::move(m));
  }
  return out;
}

RangeDecision decide_range_header(std::string_view header, uint64_t size) {
  RangeDecision whole;
  std::string spec = trim_whitespace(header);
  if (spec.size() < 6 || !iequals(std::string_view(spec).substr(0, 6), "bytes=")) return whole;
  spec = trim_whitespace(std::string_view(spec).substr(6));
  if (spec.find(',') != std::string::npos) return whole;
  size_t dash = spec.find('-');
  if (dash == std::string::npos) return whole;
  std::string a = trim_whitespace(std::string_view(spec).substr(0, dash));
  std::string b = trim_whitespace(std::string_view(spec).substr(dash + 1));
  RangeDecision out;
  out.kind = RangeDecision::Kind::partial;
  if (a.empty()) {  // the last n bytes
    auto n = number(b);
    if (!n) return whole;
    if (*n == 0 || size == 0) return {RangeDecision::Kind::unsatisfiable, {}};
    out.range = {size - std::min(*n, size), size};
    return out;
  }
  auto first = number(a);
  if (!first) return whole;
  std::optional<uint64_t> last;
  if (!b.empty()) {
    last = number(b);
    if (!last || *last < *first) return whole;
  }
  if (*first >= size) return {RangeDecision::Kind::unsatisfiable, {}};
  out.range = {*first, last ? std::min(*last + 1, size) : size};
  return out;
}

RangeDecision decide_offsets(std::string_view offset_from, std::optional<std::string_view> offset_till, uint64_t size) {
  auto first = number(offset_from);
  if (!first) return {RangeDecision::Kind::unsatisfiable, {}};
  uint64_t last = size;
  if (offset_till) {
    auto till = number(*offset_till);
    if (!till || *till < *first) return {RangeDecision::Kind::unsatisfiable, {}};
    last = std::min(*till, size);
  }
  if (*first > size || (*first == size && size != 0)) return {RangeDecision::Kind::unsatisfiable, {}};
  return {RangeDecision::Kind::partial, {*first, last}};
}

}  // namespace ximssd::http
