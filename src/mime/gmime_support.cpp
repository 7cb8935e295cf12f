#include "mime/gmime_support.hpp"

#include <mutex>

namespace ximssd::mime {

void ensure_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

std::string take_gstring(char* text) {
  if (!text) return {};
  std::string out(text);
  g_free(text);
  return out;
}

GPtr<GMimeMessage> parse_message(std::string_view bytes) {
  ensure_gmime();
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  return GPtr<GMimeMessage>(g_mime_parser_construct_message(parser.get(), nullptr));
}

}  // namespace ximssd::mime
