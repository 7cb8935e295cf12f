#include "mime/form_data.hpp"

#include <gmime/gmime.h>

#include "base/text.hpp"
#include "mime/gmime_support.hpp"
#include "mime/part_content.hpp"

namespace ximssd::mime {

namespace {

// The boundary parameter of a multipart/form-data Content-Type, or "".
std::string form_boundary(std::string_view content_type) {
  auto type = GPtr<GMimeContentType>(g_mime_content_type_parse(nullptr, std::string(content_type).c_str()));
  if (!type || !g_mime_content_type_is_type(type.get(), "multipart", "form-data")) return {};
  const char* boundary = g_mime_content_type_get_parameter(type.get(), "boundary");
  return boundary ? boundary : "";
}

}  // namespace

MediaType parse_media_type(std::string_view content_type) {
  MediaType out{"application", "octet-stream", ""};
  if (content_type.find('/') == std::string_view::npos) return out;
  ensure_gmime();
  auto type = GPtr<GMimeContentType>(g_mime_content_type_parse(nullptr, std::string(content_type).c_str()));
  const char* media = type ? g_mime_content_type_get_media_type(type.get()) : nullptr;
  const char* subtype = type ? g_mime_content_type_get_media_subtype(type.get()) : nullptr;
  if (!media || !*media || !subtype || !*subtype) return out;
  out.type = ascii_lower(media);
  out.subtype = ascii_lower(subtype);
  if (const char* charset = g_mime_content_type_get_parameter(type.get(), "charset")) out.charset = charset;
  return out;
}

// The body is split at its boundaries here rather than by GMime's parser: GMime reads a field
// whose own type is message/* or multipart/* as a structure and writes it back altered, and an
// uploaded file must come back byte for byte. GMime still reads each field's header.
std::optional<FormField> form_field(std::string_view content_type, std::string_view body, std::string_view name) {
  ensure_gmime();
  if (content_type.find_first_of("\r\n") != std::string_view::npos) return std::nullopt;
  std::string boundary = form_boundary(content_type);
  if (boundary.empty()) return std::nullopt;
  const std::string delimiter = "--" + boundary;
  // The first delimiter may start the body; every later one follows a CRLF (or LF).
  size_t at = body.starts_with(delimiter) ? 0 : body.find("\n" + delimiter);
  if (at == std::string_view::npos) return std::nullopt;
  if (at != 0) ++at;
  for (;;) {
    size_t line_end = body.find('\n', at + delimiter.size());
    std::string_view after = body.substr(at + delimiter.size(), 2);
    if (after == "--" || line_end == std::string_view::npos) return std::nullopt;  // the closing delimiter
    size_t start = line_end + 1;
    size_t next = body.find("\n" + delimiter, start);
    if (next == std::string_view::npos) return std::nullopt;  // unterminated
    size_t content_end = next > start && body[next - 1] == '\r' ? next - 1 : next;
    std::string_view part = body.substr(start, content_end - start);
    size_t header_end = header_length(part);
    // Read the field's header with GMime, as a message of that header alone.
    std::string header(part.substr(0, header_end));
    header += "\r\n";
    if (auto parsed = parse_message(header)) {
      GMimeObject* object = g_mime_message_get_mime_part(parsed.get());
      const char* field = object ? g_mime_object_get_content_disposition_parameter(object, "name") : nullptr;
      if (field && name == field) {
        FormField out;
        out.data = std::string(part.substr(std::min(header_end, part.size())));
        if (const char* type = g_mime_object_get_header(object, "Content-Type")) out.content_type = type;
        if (const char* file = g_mime_object_get_content_disposition_parameter(object, "filename")) out.file_name = file;
        return out;
      }
    }
    at = next + 1;
  }
}

}  // namespace ximssd::mime
