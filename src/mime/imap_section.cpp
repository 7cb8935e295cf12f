#include "mime/imap_section.hpp"

#include <gmime/gmime.h>

#include <algorithm>

#include "base/text.hpp"
#include "mime/gmime_support.hpp"
#include "mime/part_bounds.hpp"
#include "mime/part_content.hpp"
#include "mime/render_state.hpp"

namespace ximssd::mime {

namespace {

bool consume(std::string_view& text, std::string_view word) {
  if (text.size() < word.size() || !iequals(text.substr(0, word.size()), word)) return false;
  text.remove_prefix(word.size());
  return true;
}

// "(A B \"C\")": header field names as atoms or quoted strings.
std::optional<std::vector<std::string>> parse_field_list(std::string_view text) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') return std::nullopt;
  text = text.substr(1, text.size() - 2);
  std::vector<std::string> out;
  while (!text.empty()) {
    if (text.front() == ' ') {
      text.remove_prefix(1);
      continue;
    }
    std::string name;
    if (text.front() == '"') {
      size_t i = 1;
      for (; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        name.push_back(text[i]);
      }
      if (i >= text.size()) return std::nullopt;
      text.remove_prefix(i + 1);
    } else {
      size_t end = text.find(' ');
      name = std::string(text.substr(0, end));
      text = end == std::string_view::npos ? std::string_view() : text.substr(end);
    }
    // A field name is printable ASCII without ':' (RFC 5322 ftext).
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c > 32 && c < 127 && c != ':'; }))
      return std::nullopt;
    out.push_back(std::move(name));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// The header fields of `header` (a header block) whose names are (or, with `exclude`, are
// not) in `names`, then the blank line.
std::string filter_fields(std::string_view header, const std::vector<std::string>& names, bool exclude) {
  std::string out;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = pos;
    do {  // a field and its continuation lines
      size_t lf = header.find('\n', end);
      end = lf == std::string_view::npos ? header.size() : lf + 1;
    } while (end < header.size() && (header[end] == ' ' || header[end] == '\t'));
    std::string_view field = header.substr(pos, end - pos);
    pos = end;
    size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;  // the blank line, or not a field
    std::string name = trim_whitespace(field.substr(0, colon));
    bool listed = std::any_of(names.begin(), names.end(), [&](const std::string& n) { return iequals(n, name); });
    if (listed != exclude) out.append(field);
  }
  out += "\r\n";
  return out;
}

// The body of `object` (a part of the parse), its text after its header block.
std::string_view part_body(const PartBounds& bounds, GMimeObject* object, GMimeObject* owner) {
  if (GMIME_IS_PART(object)) return bounds.leaf_body(GMIME_PART(object));
  if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* embedded = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    return bounds.body_from(bounds.message_body_begin(object, owner, embedded));
  }
  auto [first, last] = header_offsets(object);
  int64_t owner_last = header_offsets(owner).second;
  last = std::max(last, owner_last);
  if (last < 0) return {};
  return bounds.body_from(bounds.header_block_end(static_cast<size_t>(last)));
}

// The MIME header of a part: from its first field to the end of its header block.
std::string_view part_header(const PartBounds& bounds, GMimeObject* object) {
  auto [first, last] = header_offsets(object);
  if (first < 0 || static_cast<uint64_t>(last) >= bounds.raw().size()) return {};
  size_t end = bounds.header_block_end(static_cast<size_t>(last));
  return bounds.raw().substr(static_cast<size_t>(first), end - static_cast<size_t>(first));
}

}  // namespace

std::string SectionSpec::to_string() const {
  std::string out;
  for (int n : part) {
    if (!out.empty()) out += '.';
    out += std::to_string(n);
  }
  auto add = [&](std::string_view word) {
    if (!out.empty()) out += '.';
    out += word;
  };
  switch (text) {
    case Text::none: break;
    case Text::header: add("HEADER"); break;
    case Text::text: add("TEXT"); break;
    case Text::mime: add("MIME"); break;
    case Text::header_fields:
    case Text::header_fields_not: {
      add(text == Text::header_fields ? "HEADER.FIELDS (" : "HEADER.FIELDS.NOT (");
      for (size_t i = 0; i < fields.size(); ++i) out += (i ? " " : "") + fields[i];
      out += ')';
      break;
    }
  }
  return out;
}

std::optional<SectionSpec> parse_section(std::string_view text) {
  SectionSpec spec;
  while (!text.empty() && text.front() >= '0' && text.front() <= '9') {
    size_t end = 0;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    auto n = parse_decimal(text.substr(0, end));
    if (!n || *n <= 0 || *n > 100000 || spec.part.size() >= 64) return std::nullopt;
    spec.part.push_back(static_cast<int>(*n));
    text.remove_prefix(end);
    if (text.empty()) return spec;
    if (text.front() != '.') return std::nullopt;
    text.remove_prefix(1);
  }
  if (text.empty()) return spec.part.empty() ? std::optional(spec) : std::nullopt;
  using Text = SectionSpec::Text;
  bool fields_not = consume(text, "HEADER.FIELDS.NOT ");
  if (fields_not || consume(text, "HEADER.FIELDS ")) {
    spec.text = fields_not ? Text::header_fields_not : Text::header_fields;
    auto fields = parse_field_list(text);
    if (!fields) return std::nullopt;
    spec.fields = std::move(*fields);
    return spec;
  }
  if (iequals(text, "HEADER")) spec.text = Text::header;
  else if (iequals(text, "TEXT")) spec.text = Text::text;
  else if (iequals(text, "MIME") && !spec.part.empty()) spec.text = Text::mime;
  else return std::nullopt;
  return spec;
}

std::optional<std::string> section_bytes(std::string_view raw, const SectionSpec& spec) {
  using Text = SectionSpec::Text;
  if (spec.part.empty()) {
    size_t header_end = header_length(raw);
    switch (spec.text) {
      case Text::none: return std::string(raw);
      case Text::header: return std::string(raw.substr(0, header_end));
      case Text::text: return std::string(raw.substr(header_end));
      case Text::header_fields:
      case Text::header_fields_not:
        return filter_fields(raw.substr(0, header_end), spec.fields, spec.text == Text::header_fields_not);
      case Text::mime: return std::nullopt;
    }
  }
  ensure_gmime();
  auto message = parse_message(raw);
  if (!message || !parsed_from(g_mime_message_get_mime_part(message.get()), raw)) return std::nullopt;
  PartBounds bounds(raw);
  GMimeObject* current = g_mime_message_get_mime_part(message.get());
  GMimeObject* owner = GMIME_OBJECT(message.get());
  bool message_top = true;  // `current` is the top part of a message (part 1 if not multipart)
  for (size_t step = 0; step < spec.part.size() && current;) {
    if (step >= static_cast<size_t>(kMaxNesting)) return std::nullopt;
    int n = spec.part[step];
    if (GMIME_IS_MULTIPART(current)) {
      auto* multipart = GMIME_MULTIPART(current);
      if (n > g_mime_multipart_get_count(multipart)) return std::nullopt;
      bounds.enter_multipart(current);  // a body ends at the boundaries around it (a multipart without one has no parts)
      current = g_mime_multipart_get_part(multipart, n - 1);
      owner = nullptr;
      message_top = false;
      ++step;
    } else if (message_top) {
      if (n != 1) return std::nullopt;
      message_top = false;
      ++step;
    } else if (GMIME_IS_MESSAGE_PART(current)) {
      GMimeMessage* embedded = g_mime_message_part_get_message(GMIME_MESSAGE_PART(current));
      if (!embedded) return std::nullopt;
      current = g_mime_message_get_mime_part(embedded);
      owner = GMIME_OBJECT(embedded);
      message_top = true;  // the same number now counts in the enclosed message
    } else {
      return std::nullopt;
    }
  }
  if (!current) return std::nullopt;
  switch (spec.text) {
    case Text::none:
      return std::string(part_body(bounds, current, owner));
    case Text::mime:
      return std::string(part_header(bounds, current));
    case Text::header:
    case Text::text:
    case Text::header_fields:
    case Text::header_fields_not: {
      // These name the message a message/rfc822 part holds.
      if (!GMIME_IS_MESSAGE_PART(current)) return std::nullopt;
      std::string_view whole = part_body(bounds, current, owner);
      size_t header_end = header_length(whole);
      if (spec.text == Text::header) return std::string(whole.substr(0, header_end));
      if (spec.text == Text::text) return std::string(whole.substr(header_end));
      return filter_fields(whole.substr(0, header_end), spec.fields, spec.text == Text::header_fields_not);
    }
  }
  return std::nullopt;
}

}  // namespace ximssd::mime
