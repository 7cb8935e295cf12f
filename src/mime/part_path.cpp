#include "mime/part_path.hpp"

#include <charconv>

namespace ximssd::mime {

namespace {

// A message/rfc822 part stands for its enclosed message's top part when numbering goes deeper.
GMimeObject* descend_into_message(GMimeObject* part) {
  while (part && GMIME_IS_MESSAGE_PART(part)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
    part = inner ? g_mime_message_get_mime_part(inner) : nullptr;
  }
  return part;
}

}  // namespace

GMimeObject* find_part(GMimeMessage* message, std::string_view part_id) {
  GMimeObject* part = g_mime_message_get_mime_part(message);
  while (part && !part_id.empty()) {
    size_t dash = part_id.find('-');
    std::string_view component = part_id.substr(0, dash);
    part_id = dash == std::string_view::npos ? std::string_view() : part_id.substr(dash + 1);
    int index = 0;
    auto [end, error] = std::from_chars(component.data(), component.data() + component.size(), index);
    if (error != std::errc() || end != component.data() + component.size() || index < 1) return nullptr;
    GMimeObject* container = descend_into_message(part);
    if (!container || !GMIME_IS_MULTIPART(container)) return nullptr;
    GMimeMultipart* multipart = GMIME_MULTIPART(container);
    if (index > g_mime_multipart_get_count(multipart)) return nullptr;
    part = g_mime_multipart_get_part(multipart, index - 1);
  }
  return part;
}

}  // namespace ximssd::mime
