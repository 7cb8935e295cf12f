// The EMail element: header fields by category (reference section "XML representation of data").
#include "mime/email_xml.hpp"

#include <array>
#include <chrono>

#include "base/text.hpp"
#include "base/time_format.hpp"
#include "mime/gmime_support.hpp"
#include "mime/part_path.hpp"
#include "mime/render_state.hpp"

namespace ximssd::mime {

namespace {

constexpr std::array kAddressFields = {
    "From",        "To",       "Cc",        "Bcc",         "Return-Path",      "Sender",
    "Reply-To",    "Disposition-Notification-To",          "Recent-From",      "Recent-To",
    "Resent-From", "Resent-To", "Resent-Cc", "Resent-Bcc", "Resent-Sender",    "Return-Receipt-To",
    "Errors-To"};
constexpr std::array kTimeFields = {"Date", "Resent-Date"};
// Field names written in their usual spelling whatever case the message uses.
constexpr std::array kCanonicalNames = {"From", "To", "Cc", "Bcc", "Sender", "Reply-To", "Return-Path", "Date",
                                        "Subject", "Message-ID", "In-Reply-To", "References", "Comments",
                                        "Keywords", "X-Mailer", "X-Priority", "X-Telnum", "Resent-Date",
                                        "Resent-From", "Resent-To", "Resent-Cc", "Resent-Message-ID"};

std::string canonical_field_name(std::string name) {
  for (const char* canonical : kCanonicalNames)
    if (iequals(canonical, name)) return canonical;
  return name;
}

template <size_t N>
bool one_of(const std::array<const char*, N>& names, std::string_view name) {
  for (const char* n : names)
    if (iequals(n, name)) return true;
  return false;
}

// Folded lines become one line: each line break with the whitespace around it becomes one
// space, so that refolding (which may use a tab) reads back the same.
std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\r' && c != '\n') {
      out += c;
      continue;
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
    while (i + 1 < raw.size() && (raw[i + 1] == '\r' || raw[i + 1] == '\n' || raw[i + 1] == ' ' || raw[i + 1] == '\t')) ++i;
    out += ' ';
  }
  return trim_whitespace(out);
}

std::string collapse_spaces(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool space = c == ' ' || c == '\t';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void write_mailbox(xml::XmlWriter& out, const std::string& field, InternetAddress* address) {
  if (INTERNET_ADDRESS_IS_GROUP(address)) {
    InternetAddressList* members = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address));
    for (int i = 0; members && i < internet_address_list_length(members); ++i)
      write_mailbox(out, field, internet_address_list_get_address(members, i));
    return;
  }
  const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
  const char* name = internet_address_get_name(address);
  out.open(field);
  if (name && *name) out.attr("realName", to_valid_utf8(trim_whitespace(name)));
  out.text(to_valid_utf8(addr ? addr : ""));
  out.close();
}

void write_addresses(xml::XmlWriter& out, const std::string& field, const std::string& value) {
  GPtr<InternetAddressList> list(internet_address_list_parse(nullptr, value.c_str()));
  if (!list || internet_address_list_length(list.get()) == 0) {
    if (trim_whitespace(value) == "<>") out.element(field, "");  // an empty Return-Path
    else out.element(field, to_valid_utf8(value));
    return;
  }
  for (int i = 0; i < internet_address_list_length(list.get()); ++i)
    write_mailbox(out, field, internet_address_list_get_address(list.get(), i));
}

bool write_time(xml::XmlWriter& out, const std::string& field, const std::string& value,
                const RenderOptions& options) {
  GDateTime* parsed = g_mime_utils_header_decode_date(value.c_str());
  if (!parsed) return false;
  SysSeconds when{std::chrono::seconds(g_date_time_to_unix(parsed))};
  int64_t shift = g_date_time_get_utc_offset(parsed) / G_TIME_SPAN_SECOND;
  g_date_time_unref(parsed);
  out.open(field);
  out.attr("timeShift", shift);
  out.attr("localTime", format_local_time(when, options.time_zone));
  out.text(format_ximss_time(when) + "Z");
  out.close();
  return true;
}

// X-Priority 1-2 is High and 4-5 is Low; normal priority writes nothing.
void write_priority(xml::XmlWriter& out, const std::string& field, const std::string& value) {
  int level = value.empty() ? 3 : value.front() - '0';
  if (level == 1 || level == 2) out.element(field, "High");
  else if (level == 4 || level == 5) out.element(field, "Low");
}

// X-Telnum: numbers separated by commas, each optionally "TYPE:number" (e.g. "CELL:+1 555 0100").
void write_phones(xml::XmlWriter& out, const std::string& field, const std::string& value) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string item = trim_whitespace(std::string_view(value).substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!item.empty()) {
      out.open(field);
      size_t colon = item.find(':');
      if (colon != std::string::npos && colon > 0 && item.find_first_of("0123456789+") > colon) {
        out.attr("type", to_valid_utf8(trim_whitespace(item.substr(0, colon))));
        item = trim_whitespace(item.substr(colon + 1));
      }
      out.text(to_valid_utf8(item));
      out.close();
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

// A plain-text body with no data has nothing to show: the reference's first example renders
// such a message (a header block with nothing after it) without a MIME element. "No data" is
// judged after decoding, so that a message composed from such an EMail renders the same.
bool is_absent_body(GMimeObject* body) {
  if (!GMIME_IS_PART(body)) return false;
  GMimeContentType* type = g_mime_object_get_content_type(body);
  if (type && !g_mime_content_type_is_type(type, "text", "plain")) return false;
  GMimeDataWrapper* wrapper = g_mime_part_get_content(GMIME_PART(body));
  if (!wrapper) return true;
  GPtr<GMimeStream> sink(g_mime_stream_null_new());
  return g_mime_data_wrapper_write_to_stream(wrapper, sink.get()) <= 0;
}

// Header text in 8 bits that is not UTF-8 (RFC 6532 allows UTF-8 only): shown with U+FFFD.
std::string header_problem(GMimeObject* object) {
  GMimeHeaderList* headers = g_mime_object_get_header_list(object);
  for (int i = 0; headers && i < g_mime_header_list_get_count(headers); ++i) {
    const char* raw = g_mime_header_get_raw_value(g_mime_header_list_get_header_at(headers, i));
    if (raw && !is_valid_utf8(raw)) return "8-bit header text that is not UTF-8";
  }
  return {};
}

}  // namespace

bool is_address_field(std::string_view name) { return one_of(kAddressFields, name); }

bool is_mime_field(std::string_view name) {
  return iequals(name, "MIME-Version") || (name.size() > 8 && iequals(name.substr(0, 8), "Content-"));
}

bool is_xml_name(std::string_view name) {
  if (name.empty()) return false;
  auto start_char = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!start_char(name.front())) return false;
  for (char c : name)
    if (!start_char(c) && !(c >= '0' && c <= '9') && c != '-' && c != '.') return false;
  return name.size() < 3 || !iequals(name.substr(0, 3), "xml");
}

void render_header_fields(xml::XmlWriter& out, GMimeObject* object, const RenderOptions& options) {
  GMimeHeaderList* headers = g_mime_object_get_header_list(object);
  int count = headers ? g_mime_header_list_get_count(headers) : 0;
  for (int i = 0; i < count; ++i) {
    GMimeHeader* header = g_mime_header_list_get_header_at(headers, i);
    const char* raw_name = g_mime_header_get_name(header);
    std::string name = canonical_field_name(raw_name ? raw_name : "");
    if (!is_xml_name(name) || is_mime_field(name)) continue;
    const char* raw = g_mime_header_get_raw_value(header);
    std::string value = unfold(raw ? raw : "");
    if (one_of(kAddressFields, name)) {
      write_addresses(out, name, value);
    } else if (one_of(kTimeFields, name)) {
      if (!write_time(out, name, value, options)) out.element(name, to_valid_utf8(value));
    } else if (iequals(name, "X-Priority")) {
      write_priority(out, name, value);
    } else if (iequals(name, "X-Telnum")) {
      write_phones(out, name, value);
    } else if (iequals(name, "References") || iequals(name, "In-Reply-To")) {
      // Lists of message IDs: how many spaces separate them carries no meaning.
      out.element(name, to_valid_utf8(collapse_spaces(value)));
    } else {
      out.element(name, to_valid_utf8(trim_whitespace(decode_header_text(value))));
    }
  }
}

void render_message(xml::XmlWriter& out, GMimeMessage* message, RenderState& state, bool headers_only,
                    const std::string& part_id) {
  out.open("EMail");
  // What the parser had to guess about the whole message shows on its outermost EMail.
  if (!state.message_problem.empty()) {
    out.attr("parseError", state.message_problem);
    state.message_problem.clear();
  }
  render_header_fields(out, GMIME_OBJECT(message), state.options);
  GMimeObject* body = g_mime_message_get_mime_part(message);
  if (!headers_only && body && !is_absent_body(body)) render_part(out, body, part_id, state, false);
  out.close();
}

void render_email(xml::XmlWriter& out, std::string_view message, const RenderOptions& options) {
  RenderState state{options};
  std::string problem;
  auto parsed = parse_message(message, problem);
  if (!parsed) {
    out.open("EMail").attr("parseError", "not a message").close();
    return;
  }
  state.message_problem = problem.empty() ? header_problem(GMIME_OBJECT(parsed.get())) : problem;
  render_message(out, parsed.get(), state, false);
}

bool render_message_part(xml::XmlWriter& out, std::string_view message, std::string_view part_id,
                         const RenderOptions& options) {
  if (part_id.empty()) {
    render_email(out, message, options);
    return true;
  }
  auto parsed = parse_message(message);
  GMimeObject* part = parsed ? find_part(parsed.get(), part_id) : nullptr;
  if (!part) return false;
  RenderState state{options};
  std::string id(part_id);
  GMimeMessage* inner = GMIME_IS_MESSAGE_PART(part) ? g_mime_message_part_get_message(GMIME_MESSAGE_PART(part)) : nullptr;
  if (inner) render_message(out, inner, state, false, id);
  else render_part(out, part, id, state);
  return true;
}

std::string render_email_xml(std::string_view message, const RenderOptions& options) {
  std::string text;
  {
    xml::XmlWriter out(text);
    render_email(out, message, options);
  }
  return text;
}

}  // namespace ximssd::mime
