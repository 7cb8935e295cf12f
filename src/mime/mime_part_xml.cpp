// The MIME element: a part's attributes and, by Content-Type, its content (reference section
// "XML representation of data", MIME and MIMEReport).
#include <pugixml.hpp>

#include <sstream>

#include "base/text.hpp"
#include "mime/gmime_support.hpp"
#include "mime/icalendar_xml.hpp"
#include "mime/part_content.hpp"
#include "mime/render_state.hpp"
#include "mime/smime_xml.hpp"
#include "mime/vcard_xml.hpp"

namespace ximssd::mime {

namespace {

std::string lower(const char* s) { return ascii_lower(s ? s : ""); }

// False when the part names a charset its text cannot be converted from (it is then shown with
// what could be read, and a parseError).
bool charset_known(GMimeObject* part) {
  const char* charset = g_mime_object_get_content_type_parameter(part, "charset");
  if (!charset || !*charset) return true;
  iconv_t converter = g_mime_iconv_open("UTF-8", g_mime_charset_iconv_name(charset));
  if (converter == reinterpret_cast<iconv_t>(-1)) return false;
  g_mime_iconv_close(converter);
  return true;
}

int64_t measure(GMimeObject* object, RenderState& state);

// Bytes of the part's data after decoding, estimated from its encoded size; computed once per
// part of a render.
int64_t estimated_size(GMimeObject* object, RenderState& state) {
  if (auto it = state.sizes.find(object); it != state.sizes.end()) return it->second;
  int64_t size = measure(object, state);  // may add the sizes of the parts inside
  state.sizes.emplace(object, size);
  return size;
}

int64_t measure(GMimeObject* object, RenderState& state) {
  if (GMIME_IS_MULTIPART(object)) {
    int64_t total = 0;
    GMimeMultipart* multipart = GMIME_MULTIPART(object);
    for (int i = 0; i < g_mime_multipart_get_count(multipart); ++i)
      total += estimated_size(g_mime_multipart_get_part(multipart, i), state);
    return total;
  }
  if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* message = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (!message) return 0;
    return static_cast<int64_t>(take_gstring(g_mime_object_to_string(GMIME_OBJECT(message), nullptr)).size());
  }
  if (!GMIME_IS_PART(object)) return 0;
  GMimeDataWrapper* wrapper = g_mime_part_get_content(GMIME_PART(object));
  if (!wrapper) return 0;
  GMimeStream* stream = g_mime_data_wrapper_get_stream(wrapper);
  gint64 length = stream ? g_mime_stream_length(stream) : 0;
  if (length < 0) length = 0;
  if (g_mime_data_wrapper_get_encoding(wrapper) == GMIME_CONTENT_ENCODING_BASE64) {
    // Lines of 76 characters and a CRLF: take the line ends off, then 4 characters make 3 bytes.
    int64_t characters = length - 2 * ((length + 77) / 78);
    return characters > 0 ? characters * 3 / 4 : 0;
  }
  return length;
}

void write_parameters(xml::XmlWriter& out, GMimeParamList* params, std::string_view prefix, bool skip_content_params) {
  int count = params ? g_mime_param_list_length(params) : 0;
  for (int i = 0; i < count; ++i) {
    GMimeParam* param = g_mime_param_list_get_parameter_at(params, i);
    std::string name = g_mime_param_get_name(param) ? g_mime_param_get_name(param) : "";
    if (skip_content_params && (iequals(name, "boundary") || iequals(name, "charset") || iequals(name, "format")))
      continue;
    std::string attribute = std::string(prefix) + name;
    if (!is_xml_name(attribute)) continue;
    const char* value = g_mime_param_get_value(param);
    out.attr(attribute, to_valid_utf8(value ? value : ""));
  }
}

// "urn:content-classes:message" -> "message"
std::string content_class(std::string value) {
  for (std::string_view prefix : {"urn:", "content-classes:"})
    if (value.size() >= prefix.size() && iequals(std::string_view(value).substr(0, prefix.size()), prefix))
      value.erase(0, prefix.size());
  return value;
}

void write_attributes(xml::XmlWriter& out, GMimeObject* part, const std::string& part_id, int64_t size) {
  GMimeContentType* type = g_mime_object_get_content_type(part);
  out.attr("type", lower(type ? g_mime_content_type_get_media_type(type) : "text"));
  out.attr("subtype", lower(type ? g_mime_content_type_get_media_subtype(type) : "plain"));
  if (const char* charset = type ? g_mime_content_type_get_parameter(type, "charset") : nullptr)
    out.attr("charset", to_valid_utf8(charset));
  if (!part_id.empty()) out.attr("partID", part_id);
  out.attr("estimatedSize", size);
  if (const char* id = g_mime_object_get_content_id(part)) out.attr("contentID", to_valid_utf8(id));
  if (GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(part)) {
    if (const char* d = g_mime_content_disposition_get_disposition(disposition)) out.attr("disposition", lower(d));
  }
  if (GMIME_IS_PART(part)) {
    if (const char* description = g_mime_part_get_content_description(GMIME_PART(part)))
      out.attr("description", to_valid_utf8(description));
    if (const char* location = g_mime_part_get_content_location(GMIME_PART(part)))
      out.attr("location", to_valid_utf8(location));
  } else if (const char* description = g_mime_object_get_header(part, "Content-Description")) {
    out.attr("description", to_valid_utf8(description));
  }
  if (const char* cls = g_mime_object_get_header(part, "Content-Class"))
    out.attr("class", to_valid_utf8(content_class(cls)));
  if (type) write_parameters(out, g_mime_content_type_get_parameters(type), "Type-", true);
  if (GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(part))
    write_parameters(out, g_mime_content_disposition_get_parameters(disposition), "Disposition-", false);
}

// message/delivery-status and message/disposition-notification: the first block of fields
// belongs to the report, each further block (one per recipient) is a nested MIMEReport.
void write_report(xml::XmlWriter& out, std::string_view text) {
  std::vector<std::vector<std::pair<std::string, std::string>>> blocks(1);
  std::istringstream in{std::string(lf_line_ends(text))};
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t") == std::string::npos) {
      if (!blocks.back().empty()) blocks.emplace_back();
      continue;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !blocks.back().empty()) {
      blocks.back().back().second += " " + line.substr(line.find_first_not_of(" \t"));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    size_t first = value.find_first_not_of(" \t");
    blocks.back().emplace_back(line.substr(0, colon), first == std::string::npos ? "" : value.substr(first));
  }
  if (blocks.back().empty() && blocks.size() > 1) blocks.pop_back();
  auto write_fields = [&out](const auto& fields) {
    for (const auto& [name, value] : fields)
      if (is_xml_name(name)) out.element(name, to_valid_utf8(value));
  };
  out.open("MIMEReport");
  write_fields(blocks.front());
  for (size_t i = 1; i < blocks.size(); ++i) {
    out.open("MIMEReport");
    write_fields(blocks[i]);
    out.close();
  }
  out.close();
}

// */xml and */*+xml: the document itself; text that is not well-formed XML is marked.
bool write_xml_body(xml::XmlWriter& out, std::string_view text) {
  pugi::xml_document doc;
  if (!doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8)) return false;
  std::ostringstream xml;
  for (auto node : doc.children())
    if (node.type() == pugi::node_element) node.print(xml, "", pugi::format_raw);
  out.raw(xml.str());
  return true;
}

enum class Body { none, text, report, xml, headers, message, vcards, vgroup, calendar };

Body body_kind(const std::string& type, const std::string& subtype) {
  if (type == "message" && (subtype == "delivery-status" || subtype == "disposition-notification"))
    return Body::report;
  if (type == "message" && subtype == "rfc822") return Body::message;
  if (type == "text" && subtype == "rfc822-headers") return Body::headers;
  if (subtype == "xml" || (subtype.size() > 4 && subtype.ends_with("+xml"))) return Body::xml;
  if (type == "text" && (subtype == "directory" || subtype == "x-vcard" || subtype == "vcard")) return Body::vcards;
  if (type == "text" && subtype == "x-vgroup") return Body::vgroup;
  if (type == "text" && subtype == "calendar") return Body::calendar;
  if (type == "text") return Body::text;
  return Body::none;
}

}  // namespace

void render_part(xml::XmlWriter& out, GMimeObject* part, const std::string& part_id, RenderState& state,
                 bool shows_id) {
  GMimeContentType* ct = g_mime_object_get_content_type(part);
  std::string type = lower(ct ? g_mime_content_type_get_media_type(ct) : "text");
  std::string subtype = lower(ct ? g_mime_content_type_get_media_subtype(ct) : "plain");
  int64_t size = estimated_size(part, state);
  out.open("MIME");
  write_attributes(out, part, shows_id ? part_id : std::string(), size);
  if (state.depth >= kMaxNesting) {
    out.attr("parseError", "nested too deeply");
    out.close();
    return;
  }
  ++state.depth;
  if (is_smime_signed(part)) {
    render_smime_signed(out, part, part_id, state);
    --state.depth;
    out.close();
    return;
  }
  if (GMIME_IS_MULTIPART(part)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(part);
    for (int i = 0; i < g_mime_multipart_get_count(multipart); ++i) {
      char index[16];
      std::snprintf(index, sizeof index, "%02d", i + 1);
      render_part(out, g_mime_multipart_get_part(multipart, i), part_id.empty() ? index : part_id + "-" + index, state);
    }
    --state.depth;
    out.close();
    return;
  }
  GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(part);
  bool attachment = disposition && g_mime_content_disposition_is_attachment(disposition);
  Body kind = body_kind(type, subtype);
  bool fits = !state.options.total_size_limit || state.included + size <= *state.options.total_size_limit;
  if (kind != Body::none && !attachment && fits) {
    state.included += size;
    if (kind == Body::message && GMIME_IS_MESSAGE_PART(part)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
      if (inner) render_message(out, inner, state, false, part_id);
      else out.attr("parseError", "no enclosed message");
    } else if (GMIME_IS_PART(part)) {
      std::string content = decoded_content(GMIME_PART(part));
      if (kind == Body::headers) {
        auto headers = parse_message(content);
        if (headers) render_message(out, headers.get(), state, true);
        else out.attr("parseError", "not a header block");
      } else if (kind == Body::report) {
        write_report(out, content);
      } else if (kind == Body::xml) {
        if (!write_xml_body(out, content)) out.attr("parseError", "not well-formed XML");
      } else {
        std::string text = GMIME_IS_TEXT_PART(part) ? take_gstring(g_mime_text_part_get_text(GMIME_TEXT_PART(part)))
                                                     : content;
        // vCard, vCard group and iCalendar data that does not parse (or whose charset is
        // unknown) is shown as text; parseError must come before any content.
        std::string error;
        if (GMIME_IS_TEXT_PART(part) && !charset_known(part)) error = "unknown charset";
        bool structured = error.empty() &&
                          ((kind == Body::vcards && write_cards_xml(out, text, CardKind::vcard, error)) ||
                           (kind == Body::vgroup && write_cards_xml(out, text, CardKind::vgroup, error)) ||
                           (kind == Body::calendar && write_icalendar_xml(out, text, error)));
        if (!error.empty()) out.attr("parseError", error);
        if (!structured) out.text(lf_line_ends(to_valid_utf8(text)));
      }
    }
  }
  --state.depth;
  out.close();
}

}  // namespace ximssd::mime
