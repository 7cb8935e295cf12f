// MIME to XML, to IMAP BODY/BODYSTRUCTURE and to reply/forward templates on arbitrary bytes:
// GMime's parse and our rendering must never crash, and must always produce well-formed XML
// (broken input shows as parseError/readError instead) and a parenthesised body structure.
#include <pugixml.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "mime/email_xml.hpp"
#include "base/error.hpp"
#include "mime/imap_bodystructure.hpp"
#include "mime/imap_section.hpp"
#include "mime/reply_template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string message(reinterpret_cast<const char*>(data), size);
  ximssd::mime::RenderOptions options;
  options.time_zone = "UTC";
  if (size % 2) options.total_size_limit = static_cast<int64_t>(size / 3);
  std::string xml = ximssd::mime::render_email_xml(message, options);
  pugi::xml_document doc;
  if (!doc.load_string(xml.c_str())) __builtin_trap();
  if (ximssd::mime::imap_bodystructure(message, size % 3 == 0).front() != '(') __builtin_trap();
  // FETCH BODY[section] over the same parse; a part's body lies inside the message.
  using Text = ximssd::mime::SectionSpec::Text;
  const ximssd::mime::SectionSpec sections[] = {
      {{1}, Text::none, {}},       {{2}, Text::none, {}},   {{1, 1}, Text::none, {}}, {{2, 1, 2}, Text::none, {}},
      {{1}, Text::mime, {}},       {{2}, Text::header, {}}, {{2}, Text::text, {}},
      {{}, Text::header_fields, {"From", "Subject"}},       {{3, 2}, Text::header_fields_not, {"Date"}}};
  for (const auto& spec : sections) {
    auto bytes = ximssd::mime::section_bytes(message, spec);
    if (bytes && spec.text == Text::none && bytes->size() > size) __builtin_trap();
  }
  ximssd::mime::TemplateOptions template_options;
  template_options.folder = "INBOX";
  template_options.uid = 1;
  template_options.own_addresses = {"me@example.dom"};
  auto mode = static_cast<ximssd::mime::TemplateMode>(size % 6);
  try {
    std::string reply = "<root>" + ximssd::mime::render_template_xml(message, mode, template_options) + "</root>";
    if (!doc.load_string(reply.c_str())) __builtin_trap();
  } catch (const ximssd::Failure&) {
    // Only when GMime cannot make a message of the input at all.
  }
  return 0;
}
