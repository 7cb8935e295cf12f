// Composing from arbitrary EMail XML: either a clear Failure, or a message that the renderer
// reads back as well-formed XML.
#include <pugixml.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.hpp"
#include "mime/compose.hpp"
#include "mime/email_xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pugi::xml_document doc;
  if (!doc.load_buffer(data, size)) return 0;
  ximssd::mime::UploadedFile upload{"f.bin", "application", "octet-stream", "", "\x01\x02\x03"};
  ximssd::mime::ComposeOptions options;
  options.now = 1700000000;
  options.find_upload = [&](std::string_view id) { return id == "u" ? &upload : nullptr; };
  std::string message;
  try {
    message = ximssd::mime::compose_message(doc.document_element(), options);
  } catch (const ximssd::Failure&) {
    return 0;
  }
  pugi::xml_document back;
  if (!back.load_string(ximssd::mime::render_email_xml(message, {}).c_str())) __builtin_trap();
  return 0;
}
