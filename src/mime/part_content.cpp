#include "mime/part_content.hpp"

#include "base/text.hpp"
#include "mime/gmime_support.hpp"

namespace ximssd::mime {

std::string decoded_content(GMimePart* part) {
  GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
  if (!wrapper) return {};
  GPtr<GMimeStream> memory(g_mime_stream_mem_new());
  if (g_mime_data_wrapper_write_to_stream(wrapper, memory.get()) < 0) return {};
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(memory.get()));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

size_t header_length(std::string_view message) {
  size_t lf = message.find("\n\n");
  size_t crlf = message.find("\r\n\r\n");
  if (lf == std::string_view::npos && crlf == std::string_view::npos) return message.size();
  if (crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf)) return crlf + 4;
  return lf + 2;
}

std::string lf_line_ends(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string part_text(GMimePart* part) {
  std::string text = GMIME_IS_TEXT_PART(part) ? take_gstring(g_mime_text_part_get_text(GMIME_TEXT_PART(part)))
                                               : decoded_content(part);
  return lf_line_ends(to_valid_utf8(text));
}

}  // namespace ximssd::mime
