#include "mail/search/search_text.hpp"

#include <date/date.h>

#include "base/text.hpp"
#include "mime/gmime_support.hpp"
#include "mime/html_text.hpp"
#include "mime/part_content.hpp"

namespace ximssd::mail::search {

namespace {

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

// g_utf8_casefold stops at a NUL, so the text is folded between NULs.
std::string fold_valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (;;) {
    size_t nul = text.find('\0', pos);
    std::string_view run = text.substr(pos, nul == std::string_view::npos ? std::string_view::npos : nul - pos);
    if (!run.empty()) out += mime::take_gstring(g_utf8_casefold(run.data(), static_cast<gssize>(run.size())));
    if (nul == std::string_view::npos) return out;
    out += '\0';
    pos = nul + 1;
  }
}

void append_fields(GMimeObject* object, std::string& out) {
  GMimeHeaderList* list = g_mime_object_get_header_list(object);
  if (!list) return;
  int count = g_mime_header_list_get_count(list);
  for (int i = 0; i < count; ++i) {
    GMimeHeader* header = g_mime_header_list_get_header_at(list, i);
    const char* name = g_mime_header_get_name(header);
    const char* raw = g_mime_header_get_raw_value(header);
    out += name ? name : "";
    out += ": ";
    out += trim_whitespace(to_valid_utf8(mime::decode_header_text(raw ? raw : "")));
    out += '\n';
  }
}

constexpr int kMaxDepth = 64;

void collect_text(GMimeObject* object, std::string& out, int depth) {
  if (!object || depth > kMaxDepth) return;
  if (GMIME_IS_MULTIPART(object)) {
    auto* multipart = GMIME_MULTIPART(object);
    int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count; ++i) collect_text(g_mime_multipart_get_part(multipart, i), out, depth + 1);
    return;
  }
  if (GMIME_IS_MESSAGE_PART(object)) {
    // An attached message's header is part of the enclosing message's body.
    if (GMimeMessage* message = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object))) {
      append_fields(GMIME_OBJECT(message), out);
      collect_text(g_mime_message_get_mime_part(message), out, depth + 1);
    }
    return;
  }
  if (!GMIME_IS_PART(object)) return;
  GMimeContentType* type = g_mime_object_get_content_type(object);
  if (!type || !g_mime_content_type_is_type(type, "text", "*")) return;
  std::string text = mime::part_text(GMIME_PART(object));
  if (g_mime_content_type_is_type(type, "text", "html")) {
    // Searching markup would find "div" in every HTML message.
    for (const auto& line : mime::html_to_lines(text)) {
      out += line.text;
      out += '\n';
    }
  } else {
    out += text;
    out += '\n';
  }
}

}  // namespace

std::string fold_case(std::string_view utf8) {
  if (is_ascii(utf8)) return ascii_lower(utf8);
  if (is_valid_utf8(utf8)) return fold_valid_utf8(utf8);
  return fold_valid_utf8(to_valid_utf8(utf8));
}

std::vector<HeaderField> header_fields(std::string_view header) {
  std::vector<HeaderField> fields;
  std::string name, value;
  bool open = false;
  auto finish = [&] {
    if (open) fields.push_back({name, trim_whitespace(to_valid_utf8(mime::decode_header_text(value)))});
    open = false;
  };
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find('\n', pos);
    std::string_view line = header.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? header.size() : end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      if (open) value.append(line);  // unfolding removes only the line break
      continue;
    }
    finish();
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    name = trim_whitespace(line.substr(0, colon));
    if (name.empty()) continue;
    value.assign(line.substr(colon + 1));
    open = true;
  }
  finish();
  return fields;
}

std::string body_text(std::string_view message) {
  auto parsed = mime::parse_message(message);
  if (!parsed) return mime::lf_line_ends(to_valid_utf8(message.substr(mime::header_length(message))));
  std::string out;
  collect_text(g_mime_message_get_mime_part(parsed.get()), out, 0);
  return out;
}

std::optional<int64_t> date_field_day(std::string_view value) {
  mime::ensure_gmime();
  GDateTime* when = g_mime_utils_header_decode_date(std::string(value).c_str());
  if (!when) return std::nullopt;
  int year = 0, month = 0, day = 0;
  g_date_time_get_ymd(when, &year, &month, &day);
  g_date_time_unref(when);
  date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                           date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return date::sys_days{ymd}.time_since_epoch().count();
}

}  // namespace ximssd::mail::search
