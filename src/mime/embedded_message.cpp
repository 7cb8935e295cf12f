#include "mime/embedded_message.hpp"

#include "mime/gmime_support.hpp"
#include "mime/part_path.hpp"

namespace ximssd::mime {

std::optional<std::string> embedded_message(std::string_view message, std::string_view part_id) {
  auto parsed = parse_message(message);
  if (!parsed) return std::nullopt;
  GMimeObject* part = find_part(parsed.get(), part_id);
  if (!part || !GMIME_IS_MESSAGE_PART(part)) return std::nullopt;
  GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
  if (!inner) return std::nullopt;
  GMimeFormatOptions* format = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
  std::string text = take_gstring(g_mime_object_to_string(GMIME_OBJECT(inner), format));
  g_mime_format_options_free(format);
  return text;
}

}  // namespace ximssd::mime
