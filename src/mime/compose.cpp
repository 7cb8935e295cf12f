#include "mime/compose.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <sstream>
#include <vector>
#include <chrono>

#include "base/base64.hpp"
#include "base/error.hpp"
#include "base/text.hpp"
#include "base/time_format.hpp"
#include "mime/email_xml.hpp"
#include "mime/gmime_support.hpp"
#include "mime/icalendar_xml.hpp"
#include "mime/part_path.hpp"
#include "mime/vcard_xml.hpp"

namespace ximssd::mime {

namespace {

[[noreturn]] void bad(const std::string& what) { throw Failure(ErrorCode::badRequest, what); }

struct AddressField {
  const char* name;
  int type;  // a GMimeAddressType, or -1 for fields GMime has no list for
};
constexpr std::array<AddressField, 12> kAddressFields = {{
    {"From", GMIME_ADDRESS_TYPE_FROM},
    {"Sender", GMIME_ADDRESS_TYPE_SENDER},
    {"Reply-To", GMIME_ADDRESS_TYPE_REPLY_TO},
    {"To", GMIME_ADDRESS_TYPE_TO},
    {"Cc", GMIME_ADDRESS_TYPE_CC},
    {"Bcc", GMIME_ADDRESS_TYPE_BCC},
    {"Return-Path", -1},
    {"Disposition-Notification-To", -1},
    {"Return-Receipt-To", -1},
    {"Errors-To", -1},
    {"Resent-From", -1},
    {"Resent-To", -1},
}};

const AddressField* address_field(std::string_view name) {
  for (const auto& f : kAddressFields)
    if (iequals(f.name, name)) return &f;
  return nullptr;
}

// The Date field: the element's UTC text at offset `timeShift` (seconds east of UTC), which
// is what the renderer writes, so a rendered message composes back to the same Date. Without
// a UTC text, the wall time `localTime` at offset `timeShift`.
GDateTime* element_date(pugi::xml_node node) {
  std::string_view local = node.attribute("localTime").value();
  std::string_view shift = node.attribute("timeShift").value();
  int64_t offset = 0;
  if (!shift.empty()) {
    try {
      offset = std::stoll(std::string(shift));
    } catch (...) {
      bad("Date timeShift is not a number");
    }
    if (offset < -14 * 3600 || offset > 14 * 3600) bad("Date timeShift is out of range");
  }
  std::optional<SysSeconds> utc = parse_ximss_time(node.text().get());
  if (!utc) {
    auto wall = local.empty() ? std::nullopt : parse_ximss_time(local);
    if (!wall) bad("Date is not a time stamp (YYYYMMDDTHHMMSSZ)");
    utc = *wall - std::chrono::seconds(offset);
  }
  GTimeZone* zone = g_time_zone_new_offset(static_cast<gint32>(offset));
  GDateTime* in_utc = g_date_time_new_from_unix_utc(utc->time_since_epoch().count());
  GDateTime* result = g_date_time_to_timezone(in_utc, zone);
  g_date_time_unref(in_utc);
  g_time_zone_unref(zone);
  return result;
}

void add_header(GMimeObject* object, pugi::xml_node node, const std::string& name) {
  std::string value = node.text().get();
  if (iequals(name, "X-Priority")) {
    if (value == "High") value = "1";
    else if (value == "Low") value = "5";
  } else if (iequals(name, "X-Telnum") && node.attribute("type")) {
    value = std::string(node.attribute("type").value()) + ":" + value;
  }
  for (char c : value)
    if (c == '\r' || c == '\n') bad(name + " must be one line");
  g_mime_object_append_header(object, name.c_str(), value.c_str(), "utf-8");
  // GMime rewrites message-ID lists from what it could parse of them; keep them as given.
  bool ascii = std::all_of(value.begin(), value.end(), [](char c) { return c > 0 && c < 127; });
  if (ascii && (iequals(name, "References") || iequals(name, "In-Reply-To"))) {
    GMimeHeaderList* list = g_mime_object_get_header_list(object);
    g_mime_header_set_raw_value(g_mime_header_list_get_header_at(list, g_mime_header_list_get_count(list) - 1),
                                (" " + value + "\n").c_str());
  }
}

GMimeObject* compose_part(pugi::xml_node mime, const ComposeOptions& options, int depth);

// The attributes that describe a part as the renderer writes them, back into its fields:
// Type-* and Disposition-* parameters, contentID, location, class.
void copy_part_attributes(pugi::xml_node mime, GMimeObject* part) {
  for (auto attribute : mime.attributes()) {
    std::string_view name = attribute.name();
    if (name.size() > 5 && name.substr(0, 5) == "Type-") {
      std::string param(name.substr(5));
      if (iequals(param, "boundary") || iequals(param, "charset") || iequals(param, "format")) continue;
      if (iequals(param, "name") && iequals(mime.attribute("disposition").value(), "none")) continue;
      g_mime_object_set_content_type_parameter(part, param.c_str(), attribute.value());
    } else if (name.size() > 12 && name.substr(0, 12) == "Disposition-" && !iequals(name, "Disposition-filename")) {
      if (!g_mime_object_get_content_disposition(part)) continue;
      g_mime_object_set_content_disposition_parameter(part, std::string(name.substr(12)).c_str(), attribute.value());
    }
  }
  if (const char* charset = mime.attribute("charset").value(); *charset && !GMIME_IS_TEXT_PART(part))
    g_mime_object_set_content_type_parameter(part, "charset", charset);
  if (const char* id = mime.attribute("contentID").value(); *id) g_mime_object_set_content_id(part, id);
  if (const char* location = mime.attribute("location").value(); *location)
    g_mime_object_set_header(part, "Content-Location", location, nullptr);
  if (const char* cls = mime.attribute("class").value(); *cls)
    g_mime_object_set_header(part, "Content-Class", cls, nullptr);
}

// Parts whose XML body is structured (reports, header blocks, XML documents) rather than text.
bool structured_body(pugi::xml_node mime, const std::string& type, const std::string& subtype) {
  if (type == "message" && (subtype == "delivery-status" || subtype == "disposition-notification"))
    return static_cast<bool>(mime.child("MIMEReport"));
  if (type == "text" && subtype == "rfc822-headers") return static_cast<bool>(mime.child("EMail"));
  bool xml = subtype == "xml" || (subtype.size() > 4 && subtype.ends_with("+xml"));
  if (!xml) return false;
  for (auto child : mime.children())
    if (child.type() == pugi::node_element) return true;
  return false;
}

GMimeMessage* compose(pugi::xml_node email, const ComposeOptions& options, int depth);

std::string report_fields(pugi::xml_node report) {
  std::string out;
  for (auto field : report.children()) {
    if (field.type() != pugi::node_element || std::string_view(field.name()) == "MIMEReport") continue;
    out += std::string(field.name()) + ": " + field.text().get() + "\r\n";
  }
  return out;
}

std::string structured_body_text(pugi::xml_node mime, const std::string& type, const std::string& subtype,
                                 const ComposeOptions& options, int depth) {
  if (type == "message") {
    pugi::xml_node report = mime.child("MIMEReport");
    std::string text = report_fields(report);
    for (auto block : report.children("MIMEReport")) text += "\r\n" + report_fields(block);
    return text;
  }
  if (subtype == "rfc822-headers") {
    ComposeOptions headers_only = options;
    headers_only.add_missing_fields = false;
    GPtr<GMimeMessage> message(compose(mime.child("EMail"), headers_only, depth + 1));
    GMimeFormatOptions* format = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
    // Only the fields the EMail element gave, not the MIME ones of the (empty) body.
    g_mime_format_options_add_hidden_header(format, "Content-Type");
    g_mime_format_options_add_hidden_header(format, "Content-Transfer-Encoding");
    g_mime_format_options_add_hidden_header(format, "MIME-Version");
    std::string text = take_gstring(g_mime_object_get_headers(GMIME_OBJECT(message.get()), format));
    g_mime_format_options_free(format);
    return text;
  }
  std::ostringstream xml;
  for (auto child : mime.children())
    if (child.type() == pugi::node_element) child.print(xml, "", pugi::format_raw);
  return xml.str();
}

// A leaf part holding `data` as it is, in base64 unless it is text that fits 8bit.
GMimePart* data_part(const std::string& type, const std::string& subtype, const std::string& data) {
  GMimePart* part = g_mime_part_new_with_type(type.c_str(), subtype.c_str());
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(data.data(), data.size()));
  GPtr<GMimeDataWrapper> content(g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(part, content.get());
  g_mime_part_set_content_encoding(part, type == "text" ? g_mime_part_get_best_content_encoding(part, GMIME_ENCODING_CONSTRAINT_8BIT)
                                                        : GMIME_CONTENT_ENCODING_BASE64);
  return part;
}

// A vCard (text/directory, x-vcard, vcard), vCardGroup (text/x-vgroup) or iCalendar
// (text/calendar) part given in its XML form, as UTF-8 text; null when `mime` holds no such form.
GMimeObject* card_part(pugi::xml_node mime, const std::string& type, const std::string& subtype) {
  if (type != "text") return nullptr;
  std::string text, method;
  if ((subtype == "directory" || subtype == "x-vcard" || subtype == "vcard") && mime.child("vCard")) {
    text = cards_text(mime, CardKind::vcard);
  } else if (subtype == "x-vgroup" && mime.child("vCardGroup")) {
    text = cards_text(mime, CardKind::vgroup);
  } else if (subtype == "calendar" && mime.child("iCalendar")) {
    text = icalendar_text(mime.child("iCalendar"));
    method = mime.child("iCalendar").child("vCalendar").attribute("method").value();
  } else {
    return nullptr;
  }
  GPtr<GMimeTextPart> part(g_mime_text_part_new_with_subtype(subtype.c_str()));
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(text.data(), text.size()));
  GPtr<GMimeDataWrapper> content(g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(GMIME_PART(part.get()), content.get());
  g_mime_text_part_set_charset(part.get(), "utf-8");
  GMimeObject* object = GMIME_OBJECT(part.get());
  if (subtype == "directory") g_mime_object_set_content_type_parameter(object, "profile", "vCard");
  for (char& c : method)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (!method.empty()) g_mime_object_set_content_type_parameter(object, "method", method.c_str());
  g_mime_part_set_content_encoding(GMIME_PART(object),
                                   g_mime_part_get_best_content_encoding(GMIME_PART(object), GMIME_ENCODING_CONSTRAINT_8BIT));
  return GMIME_OBJECT(part.release());
}

// copyMIME: a stored message as a message/rfc822 part, or one of its parts.
GMimeObject* copied_part(pugi::xml_node copy, const ComposeOptions& options) {
  std::string_view folder = copy.attribute("folder").value();
  if (folder.empty()) {
    if (copy.attribute("calendar")) throw Failure(ErrorCode::unavailable, "copyMIME from calendars is not available yet");
    bad("copyMIME needs folder and UID");
  }
  auto uid = parse_decimal(copy.attribute("UID").value());
  if (!uid) bad("copyMIME needs a numeric UID");
  if (!options.find_message) bad("copyMIME cannot be used here");
  std::string text = options.find_message(folder, *uid);
  auto source = parse_message(text);
  if (!source) bad("the message to copy cannot be parsed");
  std::string_view part_id = copy.attribute("partID").value();
  if (part_id.empty()) return GMIME_OBJECT(g_mime_message_part_new_with_message("rfc822", source.get()));
  GMimeObject* part = find_part(source.get(), part_id);
  if (!part) bad("message " + std::to_string(*uid) + " has no part " + std::string(part_id));
  // The part outlives the source message: the new message holds its own reference.
  g_object_ref(part);
  GMimeHeaderList* headers = g_mime_object_get_header_list(part);
  for (int i = g_mime_header_list_get_count(headers) - 1; i >= 0; --i) {
    std::string name = g_mime_header_get_name(g_mime_header_list_get_header_at(headers, i));
    if (!(name.size() > 8 && iequals(name.substr(0, 8), "Content-"))) g_mime_header_list_remove_at(headers, i);
  }
  return part;
}

GMimeMessage* compose(pugi::xml_node email, const ComposeOptions& options, int depth) {
  ensure_gmime();
  GPtr<GMimeMessage> message(g_mime_message_new(FALSE));
  GMimeObject* object = GMIME_OBJECT(message.get());
  pugi::xml_node body;
  bool has_date = false, has_id = false;
  for (auto node : email.children()) {
    if (node.type() != pugi::node_element) continue;
    std::string name = node.name();
    if (name == "MIME" || name == "copyMIME" || name == "EMail") {
      if (body) bad("EMail has more than one body element");
      body = node;
      continue;
    }
    if (const AddressField* field = address_field(name)) {
      std::string addr = node.text().get();
      if (addr.empty() && !iequals(name, "Return-Path")) bad(name + " has no address");
      const char* real_name = node.attribute("realName").value();
      if (field->type == GMIME_ADDRESS_TYPE_BCC && !options.keep_bcc) continue;
      if (field->type >= 0) {
        g_mime_message_add_mailbox(message.get(), static_cast<GMimeAddressType>(field->type), real_name, addr.c_str());
      } else {
        // Fields GMime keeps no address list for: one field per address, where it stands.
        GPtr<InternetAddressList> list(internet_address_list_new());
        GPtr<InternetAddress> mailbox(internet_address_mailbox_new(real_name, addr.c_str()));
        internet_address_list_add(list.get(), mailbox.get());
        std::string value = addr.empty() ? "<>" : take_gstring(internet_address_list_to_string(list.get(), nullptr, TRUE));
        g_mime_object_append_header(object, name.c_str(), value.c_str(), nullptr);
      }
      continue;
    }
    if (iequals(name, "Date") && !node.attribute("timeShift") && !node.attribute("localTime") &&
        !parse_ximss_time(node.text().get())) {
      add_header(object, node, name);  // a date the renderer could not read, kept as text
      has_date = true;
    } else if (iequals(name, "Date")) {
      GDateTime* date = element_date(node);
      g_mime_message_set_date(message.get(), date);
      g_date_time_unref(date);
      has_date = true;
    } else if (iequals(name, "Message-ID")) {
      std::string id = node.text().get();
      if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
      if (id.empty() || id.find_first_of(" <>\r\n") != std::string::npos) bad("Message-ID is not a message id");
      // Set as a field (not with g_mime_message_set_message_id) to keep the usual spelling "Message-ID".
      g_mime_object_set_header(object, "Message-ID", ("<" + id + ">").c_str(), nullptr);
      has_id = true;
    } else if (is_mime_field(name)) {
      continue;  // generated from the MIME element
    } else {
      add_header(object, node, name);
    }
  }
  if (options.add_missing_fields && depth == 0) {
    if (!has_id) {
      std::string id = take_gstring(g_mime_utils_generate_message_id(options.host.c_str()));
      g_mime_object_set_header(object, "Message-ID", ("<" + id + ">").c_str(), nullptr);
    }
    if (!has_date) {
      GDateTime* now = g_date_time_new_from_unix_utc(options.now ? options.now : now_epoch_seconds());
      g_mime_message_set_date(message.get(), now);
      g_date_time_unref(now);
    }
  }
  GPtr<GMimeObject> part(body ? compose_part(body, options, depth + 1) : nullptr);
  if (!part) {
    // No body element: a header block with nothing after it and no Content-Type, which is what
    // the renderer shows as an EMail without a MIME element.
    GMimeTextPart* empty = g_mime_text_part_new_with_subtype("plain");
    g_mime_text_part_set_text(empty, "");
    g_mime_object_remove_header(GMIME_OBJECT(empty), "Content-Type");
    g_mime_object_remove_header(GMIME_OBJECT(empty), "Content-Transfer-Encoding");
    part.reset(GMIME_OBJECT(empty));
  }
  g_mime_message_set_mime_part(message.get(), part.get());
  return message.release();
}

GMimeObject* compose_part(pugi::xml_node mime, const ComposeOptions& options, int depth) {
  if (depth > 32) bad("the message is nested too deeply");
  if (std::string_view(mime.name()) == "EMail") {
    GPtr<GMimeMessage> inner(compose(mime, options, depth));
    return GMIME_OBJECT(g_mime_message_part_new_with_message("rfc822", inner.get()));
  }
  if (std::string_view(mime.name()) == "copyMIME") return copied_part(mime, options);
  if (std::string_view(mime.name()) != "MIME")
    bad(std::string(mime.name()) + " parts are not supported here");
  if (mime.attribute("fileName"))
    throw Failure(ErrorCode::unavailable, "files from the File Storage cannot be attached yet (fileName)");
  const UploadedFile* upload = nullptr;
  if (const char* id = mime.attribute("uploadID").value(); *id) {
    upload = options.find_upload ? options.find_upload(id) : nullptr;
    if (!upload) bad(std::string("no uploaded file ") + id);
  }
  std::string type = ascii_lower(mime.attribute("type").value());
  std::string subtype = ascii_lower(mime.attribute("subtype").value());
  if (upload && type.empty()) type = ascii_lower(upload->type);
  if (upload && subtype.empty()) subtype = ascii_lower(upload->subtype);
  if (type.empty()) type = "text";
  if (subtype.empty()) subtype = type == "multipart" ? "mixed" : "plain";
  GPtr<GMimeObject> part;
  if (type == "multipart") {
    GPtr<GMimeMultipart> multipart(g_mime_multipart_new_with_subtype(subtype.c_str()));
    for (auto child : mime.children()) {
      if (child.type() != pugi::node_element) continue;
      GPtr<GMimeObject> sub(compose_part(child, options, depth + 1));
      g_mime_multipart_add(multipart.get(), sub.get());
    }
    part.reset(GMIME_OBJECT(multipart.release()));
  } else if (type == "message" && subtype == "rfc822") {
    pugi::xml_node inner = mime.child("EMail");
    if (!inner) bad("a message/rfc822 part needs an EMail element");
    part.reset(compose_part(inner, options, depth + 1));
  } else if (GMimeObject* card = upload ? nullptr : card_part(mime, type, subtype)) {
    part.reset(card);
  } else if (!upload && structured_body(mime, type, subtype)) {
    part.reset(GMIME_OBJECT(data_part(type, subtype, structured_body_text(mime, type, subtype, options, depth))));
  } else if (upload) {
    part.reset(GMIME_OBJECT(data_part(type, subtype, upload->data)));
    std::string charset = mime.attribute("charset").value();
    if (charset.empty()) charset = upload->charset;
    if (type == "text" && !charset.empty())
      g_mime_object_set_content_type_parameter(part.get(), "charset", charset.c_str());
    std::string_view name = mime.attribute("disposition-filename").value();
    if (name.empty() && !iequals(mime.attribute("disposition").value(), "none")) {
      std::string file = upload->file_name.empty() ? std::string(mime.attribute("uploadID").value()) : upload->file_name;
      g_mime_part_set_filename(GMIME_PART(part.get()), file.c_str());
    }
  } else if (type == "text") {
    std::string text = mime.text().get();
    if (!is_valid_utf8(text)) bad("text parts must be UTF-8");
    bool flowed = iequals(mime.attribute("format").value(), "flowed");
    if (flowed) text = flowed_text(text);
    // The XML's text is UTF-8. It is stored in the charset the element names when every
    // character has a place there, else in UTF-8 (g_mime_text_part_set_text would pick one).
    std::string charset = "utf-8";  // as the reference's examples write composed text
    if (std::string wanted = mime.attribute("charset").value(); !wanted.empty() && !iequals(wanted, "utf-8")) {
      gsize written = 0;
      char* converted = g_convert(text.data(), static_cast<gssize>(text.size()), wanted.c_str(), "UTF-8", nullptr,
                                  &written, nullptr);
      if (converted) {
        text.assign(converted, written);
        charset = wanted;  // as the element spells it
        g_free(converted);
      }
    } else if (!wanted.empty()) {
      charset = wanted;
    }
    GPtr<GMimeTextPart> text_part(g_mime_text_part_new_with_subtype(subtype.c_str()));
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(text.data(), text.size()));
    GPtr<GMimeDataWrapper> content(g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
    g_mime_part_set_content(GMIME_PART(text_part.get()), content.get());
    g_mime_text_part_set_charset(text_part.get(), charset.c_str());
    // A text whose last line has no line end: in 8bit the line end that ends the message body
    // would become part of the text, so it is written quoted-printable, ending with a soft line
    // break (GMime's encoder leaves the last line open). Flowed text stays as the reference's
    // example writes it: there a final line end means nothing.
    bool open_last_line = !text.empty() && text.back() != '\n' && !flowed;
    if (open_last_line &&
        g_mime_part_get_best_content_encoding(GMIME_PART(text_part.get()), GMIME_ENCODING_CONSTRAINT_8BIT) !=
            GMIME_CONTENT_ENCODING_BASE64) {
      GMimeEncoding encoder;
      g_mime_encoding_init_encode(&encoder, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
      std::string encoded(g_mime_encoding_outlen(&encoder, text.size()) + 4, '\0');
      encoded.resize(g_mime_encoding_flush(&encoder, text.data(), text.size(), encoded.data()));
      if (encoded.empty() || encoded.back() != '\n') encoded += "=\n";
      GPtr<GMimeStream> qp(g_mime_stream_mem_new_with_buffer(encoded.data(), encoded.size()));
      GPtr<GMimeDataWrapper> qp_content(
          g_mime_data_wrapper_new_with_stream(qp.get(), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE));
      g_mime_part_set_content(GMIME_PART(text_part.get()), qp_content.get());
      g_mime_part_set_content_encoding(GMIME_PART(text_part.get()), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    } else {
      // 8bit when every line fits, quoted-printable (or base64) otherwise.
      g_mime_part_set_content_encoding(
          GMIME_PART(text_part.get()),
          g_mime_part_get_best_content_encoding(GMIME_PART(text_part.get()), GMIME_ENCODING_CONSTRAINT_8BIT));
    }
    if (flowed) g_mime_object_set_content_type_parameter(GMIME_OBJECT(text_part.get()), "format", "flowed");
    part.reset(GMIME_OBJECT(text_part.release()));
  } else {
    // Inline data: the element's text is the part's data in base64.
    std::string text;
    for (char c : std::string_view(mime.text().get()))
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') text += c;
    if (text.empty()) bad("a " + type + "/" + subtype + " part needs its data: uploadID, or base64 as its text");
    auto data = base64_decode(text);
    if (!data) bad("the data of a " + type + "/" + subtype + " part is not valid base64");
    part.reset(GMIME_OBJECT(data_part(type, subtype, *data)));
  }
  std::string_view disposition = mime.attribute("disposition").value();
  std::string_view filename = mime.attribute("disposition-filename").value();
  if (filename.empty()) filename = mime.attribute("Disposition-filename").value();
  if (!iequals(disposition, "none")) {
    if (!disposition.empty()) g_mime_object_set_disposition(part.get(), std::string(disposition).c_str());
    if (!filename.empty()) {
      // The Content-Type "name" comes from a Type-name attribute when the XML has one.
      if (disposition.empty()) g_mime_object_set_disposition(part.get(), "attachment");
      g_mime_object_set_content_disposition_parameter(part.get(), "filename", std::string(filename).c_str());
    }
  }
  if (const char* description = mime.attribute("description").value(); *description)
    g_mime_object_set_header(part.get(), "Content-Description", description, "utf-8");
  copy_part_attributes(mime, part.get());
  return part.release();
}

}  // namespace

std::string flowed_text(const std::string& text) {
  constexpr size_t kWidth = 78;
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    // Trailing spaces would read as soft breaks: hard lines lose them (RFC 3676 4.2).
    while (!line.empty() && line.back() == ' ') line.pop_back();
    bool first = true;
    while (first || !line.empty()) {
      std::string piece;
      if (line.size() > kWidth) {
        size_t space = line.rfind(' ', kWidth - 1);
        if (space == std::string::npos || space == 0) space = line.find(' ', kWidth);
        if (space == std::string::npos) {
          piece = line;
          line.clear();
        } else {
          piece = line.substr(0, space + 1);  // the space stays: a soft break
          line.erase(0, space + 1);
        }
      } else {
        piece = line;
        line.clear();
      }
      if (!piece.empty() && (piece[0] == ' ' || piece[0] == '>' || piece.rfind("From ", 0) == 0)) piece.insert(0, " ");
      out += piece;
      out += '\n';
      first = false;
    }
    if (end == std::string::npos || end + 1 == text.size()) break;
    start = end + 1;
  }
  if (!text.empty() && text.back() != '\n' && !out.empty()) out.pop_back();  // no line end was given
  if (text.empty()) out.clear();
  return out;
}

// EMail uploadID: the upload is the message; the EMail's header elements go over its header.
GMimeMessage* uploaded_message(pugi::xml_node email, const ComposeOptions& options) {
  std::string_view id = email.attribute("uploadID").value();
  const UploadedFile* upload = options.find_upload ? options.find_upload(id) : nullptr;
  if (!upload) throw Failure(ErrorCode::notFound, "no uploaded file " + std::string(id));
  GPtr<GMimeMessage> message(parse_message(upload->data).release());
  if (!message) bad("the uploaded file " + std::string(id) + " is not a message");
  if (email.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; })) {
    ComposeOptions header_only = options;
    header_only.add_missing_fields = false;
    GPtr<GMimeMessage> fields(compose(email, header_only, 0));
    GMimeObject* target = GMIME_OBJECT(message.get());
    GMimeHeaderList* given = g_mime_object_get_header_list(GMIME_OBJECT(fields.get()));
    // The composed body's own fields (Content-*, MIME-Version) are not the XML's: skip them.
    for (int i = 0; i < g_mime_header_list_get_count(given); ++i) {
      std::string name = g_mime_header_get_name(g_mime_header_list_get_header_at(given, i));
      if (!is_mime_field(name)) g_mime_object_remove_header(target, name.c_str());
    }
    for (int i = 0; i < g_mime_header_list_get_count(given); ++i) {
      GMimeHeader* header = g_mime_header_list_get_header_at(given, i);
      std::string name = g_mime_header_get_name(header);
      if (is_mime_field(name)) continue;
      g_mime_object_append_header(target, name.c_str(), g_mime_header_get_value(header), nullptr);
      // Keep the field exactly as composed (its encoding and folding), not re-encoded.
      GMimeHeaderList* list = g_mime_object_get_header_list(target);
      g_mime_header_set_raw_value(g_mime_header_list_get_header_at(list, g_mime_header_list_get_count(list) - 1),
                                  g_mime_header_get_raw_value(header));
    }
  }
  return message.release();
}

std::string compose_message(pugi::xml_node email, const ComposeOptions& options) {
  if (std::string_view(email.name()) != "EMail") bad("the message must be an EMail element");

  if (is_yes(email.attribute("sign").value()) || is_yes(email.attribute("encrypt").value()))
    throw Failure(ErrorCode::unavailable, "signing and encrypting need an unlocked S/MIME key (SMIMEUnlock)");
  GPtr<GMimeMessage> message(email.attribute("uploadID") ? uploaded_message(email, options) : compose(email, options, 0));
  GMimeFormatOptions* format = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
  std::string out = take_gstring(g_mime_object_to_string(GMIME_OBJECT(message.get()), format));
  g_mime_format_options_free(format);
  return out;
}

}  // namespace ximssd::mime
