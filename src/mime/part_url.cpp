#include "mime/part_url.hpp"

#include <gmime/gmime.h>

#include <functional>

#include "mime/gmime_support.hpp"
#include "mime/part_content.hpp"
#include "mime/part_path.hpp"

namespace ximssd::mime {

namespace {

std::string content_type_of(GMimeObject* object) {
  GMimeContentType* type = g_mime_object_get_content_type(object);
  if (!type) return "text/plain";
  std::string out = take_gstring(g_mime_content_type_get_mime_type(type));
  if (g_mime_content_type_is_type(type, "text", "*")) {
    const char* charset = g_mime_content_type_get_parameter(type, "charset");
    out += "; charset=";
    out += charset && *charset ? charset : "us-ascii";
  }
  return out;
}

std::string file_name_of(GMimeObject* object) {
  if (!GMIME_IS_PART(object)) return {};
  const char* name = g_mime_part_get_filename(GMIME_PART(object));
  return name ? name : "";
}

// How GMime writes parts back: with the line ends the stored message uses (GMime itself
// writes LF).
struct WriteFormat {
  explicit WriteFormat(std::string_view message) : options(g_mime_format_options_new()) {
    size_t lf = message.find('\n');
    crlf = lf != std::string_view::npos && lf > 0 && message[lf - 1] == '\r';
    g_mime_format_options_set_newline_format(options, crlf ? GMIME_NEWLINE_FORMAT_DOS : GMIME_NEWLINE_FORMAT_UNIX);
  }
  ~WriteFormat() { g_mime_format_options_free(options); }
  WriteFormat(const WriteFormat&) = delete;
  WriteFormat& operator=(const WriteFormat&) = delete;
  GMimeFormatOptions* options;
  bool crlf = false;
};

std::string object_text(GMimeObject* object, const WriteFormat& format) {
  return take_gstring(g_mime_object_to_string(object, format.options));
}

std::string header_text(GMimeObject* object, const WriteFormat& format) {
  return take_gstring(g_mime_object_get_headers(object, format.options)) + (format.crlf ? "\r\n" : "\n");
}

// A part's body: decoded content for a leaf, the enclosed message for message/rfc822, the
// text after the header for a multipart.
std::string body_of(GMimeObject* object, const WriteFormat& format) {
  if (GMIME_IS_PART(object)) return decoded_content(GMIME_PART(object));
  if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    return inner ? object_text(GMIME_OBJECT(inner), format) : std::string();
  }
  std::string text = object_text(object, format);
  return text.substr(header_length(text));
}

GMimeObject* find_by_content_id(GMimeObject* object, std::string_view content_id) {
  const char* id = g_mime_object_get_content_id(object);
  if (id && content_id == id) return object;
  if (GMIME_IS_MULTIPART(object)) {
    auto* multipart = GMIME_MULTIPART(object);
    int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count; ++i)
      if (auto* found = find_by_content_id(g_mime_multipart_get_part(multipart, i), content_id)) return found;
  } else if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (inner && inner->mime_part) return find_by_content_id(inner->mime_part, content_id);
  }
  return nullptr;
}

std::string parent_id(std::string_view part_id) {
  size_t dash = part_id.rfind('-');
  return dash == std::string_view::npos ? std::string() : std::string(part_id.substr(0, dash));
}

}  // namespace

std::optional<ServedPart> serve_part(std::string_view message, std::string_view part_id, PartView view) {
  ensure_gmime();
  auto parsed = parse_message(message);
  if (!parsed) return std::nullopt;
  WriteFormat format(message);
  if (part_id.empty()) {
    GMimeObject* top = g_mime_message_get_mime_part(parsed.get());
    ServedPart out;
    size_t header_end = header_length(message);
    switch (view) {
      case PartView::whole:
        out.data = std::string(message);
        out.content_type = "text/plain";
        break;
      case PartView::header:
        out.data = std::string(message.substr(0, header_end));
        out.content_type = "text/plain";
        break;
      case PartView::body:
        if (!top) return std::nullopt;
        out.data = GMIME_IS_PART(top) || GMIME_IS_MESSAGE_PART(top) ? body_of(top, format)
                                                                     : std::string(message.substr(header_end));
        out.content_type = content_type_of(top);
        out.file_name = file_name_of(top);
        break;
    }
    return out;
  }
  GMimeObject* part = find_part(parsed.get(), part_id);
  if (!part) return std::nullopt;
  ServedPart out;
  switch (view) {
    case PartView::whole:
      out.data = object_text(part, format);
      out.content_type = "text/plain";
      break;
    case PartView::header:
      out.data = header_text(part, format);
      out.content_type = "text/plain";
      break;
    case PartView::body:
      out.data = body_of(part, format);
      out.content_type = content_type_of(part);
      out.file_name = file_name_of(part);
      break;
  }
  return out;
}

std::optional<ServedPart> serve_related(std::string_view message, std::string_view part_id,
                                        std::string_view content_id) {
  ensure_gmime();
  auto parsed = parse_message(message);
  if (!parsed || content_id.empty()) return std::nullopt;
  WriteFormat format(message);
  std::string scope = parent_id(part_id);
  for (;;) {
    GMimeObject* root = scope.empty() ? g_mime_message_get_mime_part(parsed.get()) : find_part(parsed.get(), scope);
    if (root) {
      if (auto* found = find_by_content_id(root, content_id)) {
        ServedPart out;
        out.data = body_of(found, format);
        out.content_type = content_type_of(found);
        out.file_name = file_name_of(found);
        return out;
      }
    }
    if (scope.empty()) return std::nullopt;
    scope = parent_id(scope);
  }
}

}  // namespace ximssd::mime
