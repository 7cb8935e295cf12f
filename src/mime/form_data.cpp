#include "mime/form_data.hpp"

#include <gmime/gmime.h>

#include "mime/gmime_support.hpp"
#include "mime/part_content.hpp"

namespace ximssd::mime {

std::optional<FormField> form_field(std::string_view content_type, std::string_view body, std::string_view name) {
  ensure_gmime();
  if (content_type.find_first_of("\r\n") != std::string_view::npos) return std::nullopt;
  // The body is a MIME multipart whose header is the request's Content-Type: let GMime read it
  // as a message with that one header field.
  std::string text = "Content-Type: " + std::string(content_type) + "\r\n\r\n";
  text.append(body);
  auto message = parse_message(text);
  if (!message) return std::nullopt;
  GMimeObject* top = g_mime_message_get_mime_part(message.get());
  if (!top || !GMIME_IS_MULTIPART(top)) return std::nullopt;
  GMimeContentType* type = g_mime_object_get_content_type(top);
  if (!g_mime_content_type_is_type(type, "multipart", "form-data")) return std::nullopt;
  auto* multipart = GMIME_MULTIPART(top);
  int count = g_mime_multipart_get_count(multipart);
  for (int i = 0; i < count; ++i) {
    GMimeObject* part = g_mime_multipart_get_part(multipart, i);
    const char* field = g_mime_object_get_content_disposition_parameter(part, "name");
    if (!field || name != field || !GMIME_IS_PART(part)) continue;
    FormField out;
    out.data = decoded_content(GMIME_PART(part));
    if (g_mime_object_get_header(part, "Content-Type")) {
      GMimeContentType* t = g_mime_object_get_content_type(part);
      out.content_type = take_gstring(g_mime_content_type_get_mime_type(t));
      if (const char* charset = g_mime_content_type_get_parameter(t, "charset"))
        out.content_type += std::string("; charset=") + charset;
    }
    if (const char* file = g_mime_part_get_filename(GMIME_PART(part))) out.file_name = file;
    return out;
  }
  return std::nullopt;
}

}  // namespace ximssd::mime
