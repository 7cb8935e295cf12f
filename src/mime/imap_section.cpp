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
