// Internal to the renderer: the pieces email_xml.cpp (header fields) and mime_part_xml.cpp
// (body parts) share.
#pragma once

#include <gmime/gmime.h>

#include <string>
#include <unordered_map>

#include "formats/xml/xml_writer.hpp"
#include "mime/email_xml.hpp"

namespace ximssd::mime {

struct RenderState {
  const RenderOptions& options;
  int64_t included = 0;  // bytes of body data included so far (for totalSizeLimit)
  int depth = 0;         // nesting of parts and enclosed messages
  // Estimated sizes already computed: a multipart's size is the sum of its parts', which are
  // rendered next, so each part is measured once.
  std::unordered_map<GMimeObject*, int64_t> sizes;
  // What is wrong with the message as a whole, for its EMail's parseError ("" = nothing).
  std::string message_problem;
};

// Parts nested deeper than this are written without their content, with parseError.
inline constexpr int kMaxNesting = 32;

// The header fields of `object` as EMail children (MIME fields left out).
void render_header_fields(xml::XmlWriter& out, GMimeObject* object, const RenderOptions& options);
// <EMail> for a parsed message: its header fields, then its body unless `headers_only`.
// `part_id` is where the message is enclosed ("" for the message itself): the parts of an
// enclosed message are numbered below the message/rfc822 part's own ID (see part_path.hpp).
void render_message(xml::XmlWriter& out, GMimeMessage* message, RenderState& state, bool headers_only,
                    const std::string& part_id = "");
// <MIME> for one part. `part_id` is "" for a message's top part; a message's top part never shows
// an ID of its own (it is the message), but its sub-parts are numbered below `part_id`.
void render_part(xml::XmlWriter& out, GMimeObject* part, const std::string& part_id, RenderState& state,
                 bool shows_id = true);

// True when `name` may be used as an XML element or attribute name.
bool is_xml_name(std::string_view name);

}  // namespace ximssd::mime
