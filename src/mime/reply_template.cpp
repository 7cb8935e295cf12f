#include "mime/reply_template.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>

#include "base/error.hpp"
#include "base/text.hpp"
#include "base/time_format.hpp"
#include "mime/gmime_support.hpp"
#include "mime/html_text.hpp"
#include "mime/part_content.hpp"
#include "mime/quoted_text.hpp"
#include "mime/render_state.hpp"

namespace ximssd::mime {

namespace {

bool is_html(TemplateMode mode) {
  return mode == TemplateMode::reply_from_html || mode == TemplateMode::reply_all_html ||
         mode == TemplateMode::forward_html;
}
bool is_forward(TemplateMode mode) { return mode == TemplateMode::forward || mode == TemplateMode::forward_html; }
bool is_reply_all(TemplateMode mode) {
  return mode == TemplateMode::reply_all || mode == TemplateMode::reply_all_html;
}

// A header value as one line of valid UTF-8: control characters (a decoded encoded-word may
// hold a line break) become spaces.
std::string one_line(const char* value) {
  std::string text = to_valid_utf8(value ? value : "");
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  return trim_whitespace(text);
}

// ---- Subjects -------------------------------------------------------------------------------

constexpr std::array<std::string_view, 4> kReplyMarkers = {"re", "aw", "sv", "antw"};
constexpr std::array<std::string_view, 3> kForwardMarkers = {"fwd", "fw", "wg"};

struct Marker {
  bool reply = false, forward = false;
  size_t length = 0;  // of the marker and its colon
};

// "Re:", "RE :", "Re[2]:", "Fwd:" at the start of `text`.
Marker leading_marker(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && i < 5 && ((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z'))) ++i;
  std::string word = ascii_lower(text.substr(0, i));
  Marker marker;
  marker.reply = std::find(kReplyMarkers.begin(), kReplyMarkers.end(), word) != kReplyMarkers.end();
  marker.forward = std::find(kForwardMarkers.begin(), kForwardMarkers.end(), word) != kForwardMarkers.end();
  if (!marker.reply && !marker.forward) return {};
  if (i < text.size() && (text[i] == '[' || text[i] == '(')) {
    char close = text[i] == '[' ? ']' : ')';
    size_t j = i + 1;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    if (j == i + 1 || j >= text.size() || text[j] != close) return {};
    i = j + 1;
  }
  while (i < text.size() && text[i] == ' ') ++i;
  if (i >= text.size() || text[i] != ':') return {};
  marker.length = i + 1;
  return marker;
}

struct StrippedSubject {
  std::string rest;
  bool reply = false, forward = false;
};

StrippedSubject strip_markers(std::string_view subject) {
  StrippedSubject out;
  std::string text = trim_whitespace(subject);
  for (int guard = 0; guard < 100; ++guard) {
    if (text.size() > 2 && text.front() == '[' && text.back() == ']') {  // "[Fwd: subject]"
      std::string inner = text.substr(1, text.size() - 2);
      Marker marker = leading_marker(inner);
      if (marker.forward) {
        out.forward = true;
        text = trim_whitespace(std::string_view(inner).substr(marker.length));
        continue;
      }
    }
    Marker marker = leading_marker(text);
    if (marker.length == 0) break;
    out.reply |= marker.reply;
    out.forward |= marker.forward;
    text = trim_whitespace(std::string_view(text).substr(marker.length));
  }
  out.rest = text;
  return out;
}

std::string joined(std::string text) { return trim_whitespace(text); }

// ---- Addresses ------------------------------------------------------------------------------

struct Mailbox {
  std::string name, address;
};

void add_mailboxes(InternetAddressList* list, std::vector<Mailbox>& out, int depth = 0) {
  for (int i = 0; list && i < internet_address_list_length(list); ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(address)) {
      if (depth < 4) add_mailboxes(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), out, depth + 1);
      continue;
    }
    std::string addr = one_line(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address)));
    if (addr.empty() || addr.find(' ') != std::string::npos) continue;
    out.push_back(Mailbox{one_line(internet_address_get_name(address)), addr});
  }
}

std::vector<Mailbox> mailboxes(GMimeMessage* message, GMimeAddressType type) {
  std::vector<Mailbox> out;
  add_mailboxes(g_mime_message_get_addresses(message, type), out);
  return out;
}

// The raw value of the first field called `name` (null when there is none).
const char* raw_field(GMimeObject* object, const char* name) {
  GMimeHeaderList* headers = g_mime_object_get_header_list(object);
  GMimeHeader* header = headers ? g_mime_header_list_get_header(headers, name) : nullptr;
  return header ? g_mime_header_get_raw_value(header) : nullptr;
}

// Address fields GMime keeps no list for (Mail-Followup-To, Mail-Reply-To).
std::vector<Mailbox> field_mailboxes(GMimeMessage* message, const char* name) {
  std::vector<Mailbox> out;
  const char* raw = raw_field(GMIME_OBJECT(message), name);
  if (!raw) return out;
  GPtr<InternetAddressList> list(internet_address_list_parse(nullptr, raw));
  add_mailboxes(list.get(), out);
  return out;
}

struct Recipients {
  std::vector<Mailbox> to, cc;
};

class AddressSet {
 public:
  bool contains(const Mailbox& mailbox) const { return addresses_.count(ascii_lower(mailbox.address)) > 0; }
  // False when the address was there already.
  bool add(const std::string& address) { return addresses_.insert(ascii_lower(address)).second; }

 private:
  std::unordered_set<std::string> addresses_;
};

Recipients reply_recipients(GMimeMessage* message, bool all, const TemplateOptions& options) {
  AddressSet own;
  for (const std::string& address : options.own_addresses) own.add(address);
  if (!options.from_address.empty()) own.add(options.from_address);

  std::vector<Mailbox> from = mailboxes(message, GMIME_ADDRESS_TYPE_FROM);
  std::vector<Mailbox> to = mailboxes(message, GMIME_ADDRESS_TYPE_TO);
  std::vector<Mailbox> cc = mailboxes(message, GMIME_ADDRESS_TYPE_CC);
  std::vector<Mailbox> author = field_mailboxes(message, "Mail-Reply-To");
  if (author.empty()) author = mailboxes(message, GMIME_ADDRESS_TYPE_REPLY_TO);
  bool own_message = author.empty() && !from.empty() &&
                     std::all_of(from.begin(), from.end(), [&](const Mailbox& m) { return own.contains(m); });
  if (author.empty()) author = from;

  Recipients out;
  auto take = [](const std::vector<Mailbox>& candidates, std::vector<Mailbox>& into, AddressSet& seen) {
    for (const Mailbox& mailbox : candidates)
      if (seen.add(mailbox.address)) into.push_back(mailbox);
  };
  if (!all) {
    // A reply to one's own message (from the Sent folder) goes to its recipients again.
    AddressSet seen;
    take(own_message && !to.empty() ? to : author, out.to, seen);
    return out;
  }
  AddressSet seen = own;
  if (std::vector<Mailbox> followup = field_mailboxes(message, "Mail-Followup-To"); !followup.empty()) {
    take(followup, out.to, seen);
  } else {
    take(author, out.to, seen);
    take(to, out.to, seen);
    take(cc, out.cc, seen);
  }
  if (out.to.empty() && !out.cc.empty()) {
    out.to.push_back(out.cc.front());
    out.cc.erase(out.cc.begin());
  }
  // Nobody left but the account itself: reply as replyFrom would.
  if (out.to.empty()) return reply_recipients(message, false, options);
  return out;
}

// "Name <address>", the name quoted when it holds characters that would end it.
std::string display_mailbox(const Mailbox& mailbox) {
  if (mailbox.name.empty()) return mailbox.address;
  std::string name = mailbox.name;
  if (name.find_first_of("()<>[]:;@\\,.\"") != std::string::npos) {
    std::string quoted = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    name = quoted + "\"";
  }
  return name + " <" + mailbox.address + ">";
}

std::string display_mailboxes(const std::vector<Mailbox>& list) {
  std::string out;
  for (const Mailbox& mailbox : list) out += (out.empty() ? "" : ", ") + display_mailbox(mailbox);
  return out;
}

// ---- Message ids ----------------------------------------------------------------------------

// Past this many ids, References keeps the first (the thread's start) and the latest ones, as
// RFC 5322 3.6.4 suggests trimming: some servers refuse very long fields.
constexpr size_t kMaxReferences = 20;

bool is_message_id(std::string_view id) {
  if (id.empty() || id.size() > 250) return false;
  for (char c : id)
    if (static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>' || c == 0x7F) return false;
  return true;
}

std::vector<std::string> field_message_ids(GMimeMessage* message, const char* name) {
  std::vector<std::string> ids;
  const char* raw = raw_field(GMIME_OBJECT(message), name);
  if (!raw) return ids;
  GMimeReferences* references = g_mime_references_parse(nullptr, raw);
  if (!references) return ids;
  for (int i = 0; i < g_mime_references_length(references); ++i) {
    std::string id = to_valid_utf8(g_mime_references_get_message_id(references, i));
    if (is_message_id(id)) ids.push_back(id);
  }
  g_mime_references_free(references);
  return ids;
}

std::string original_message_id(GMimeMessage* message) {
  const char* id = g_mime_message_get_message_id(message);
  std::string text = to_valid_utf8(id ? id : "");
  return is_message_id(text) ? text : "";
}

std::vector<std::string> reply_references(GMimeMessage* message, const std::string& message_id) {
  std::vector<std::string> ids = field_message_ids(message, "References");
  if (ids.empty()) {
    std::vector<std::string> in_reply_to = field_message_ids(message, "In-Reply-To");
    if (!in_reply_to.empty()) ids.push_back(in_reply_to.front());
  }
  if (!message_id.empty() && (ids.empty() || ids.back() != message_id)) ids.push_back(message_id);
  if (ids.size() > kMaxReferences) ids.erase(ids.begin() + 1, ids.end() - static_cast<std::ptrdiff_t>(kMaxReferences - 1));
  return ids;
}

std::string bracketed(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "<" : " <") + id + ">";
  return out;
}

// ---- Dates ----------------------------------------------------------------------------------

struct LocalTime {
  std::chrono::sys_days day;
  std::chrono::seconds time_of_day;
  int64_t offset;  // seconds east of UTC
};

std::optional<LocalTime> local_time(GMimeMessage* message, const std::string& zone) {
  GDateTime* date = g_mime_message_get_date(message);
  if (!date) return std::nullopt;
  SysSeconds utc{std::chrono::seconds(g_date_time_to_unix(date))};
  std::optional<SysSeconds> wall = parse_ximss_time(format_local_time(utc, zone));
  if (!wall) return std::nullopt;
  auto day = std::chrono::floor<std::chrono::days>(*wall);
  return LocalTime{day, *wall - day, (*wall - utc).count()};
}

// "2024-03-14 10:15": the attribution line's form, the same in every language.
std::string short_date(const LocalTime& t) {
  std::chrono::year_month_day date{t.day};
  std::chrono::hh_mm_ss time{t.time_of_day};
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u %02d:%02d", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()));
  return text;
}

// "Thu, 14 Mar 2024 10:15:00 +0100": the form of a Date field, in the reader's zone.
std::string full_date(const LocalTime& t) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::chrono::year_month_day date{t.day};
  std::chrono::weekday weekday{t.day};
  std::chrono::hh_mm_ss time{t.time_of_day};
  int64_t offset = t.offset < 0 ? -t.offset : t.offset;
  char text[64];
  std::snprintf(text, sizeof text, "%s, %u %s %04d %02d:%02d:%02d %c%02d%02d", kDays[weekday.c_encoding()],
                static_cast<unsigned>(date.day()), kMonths[static_cast<unsigned>(date.month()) - 1],
                static_cast<int>(date.year()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()),
                t.offset < 0 ? '-' : '+', static_cast<int>(offset / 3600), static_cast<int>(offset / 60 % 60));
  return text;
}

// ---- The original's parts -------------------------------------------------------------------

std::string lower(const char* s) { return ascii_lower(s ? s : ""); }

std::string media_type(GMimeObject* object) {
  GMimeContentType* type = g_mime_object_get_content_type(object);
  return type ? lower(g_mime_content_type_get_media_type(type)) : "text";
}
std::string media_subtype(GMimeObject* object) {
  GMimeContentType* type = g_mime_object_get_content_type(object);
  return type ? lower(g_mime_content_type_get_media_subtype(type)) : "plain";
}
std::string type_parameter(GMimeObject* object, const char* name) {
  GMimeContentType* type = g_mime_object_get_content_type(object);
  const char* value = type ? g_mime_content_type_get_parameter(type, name) : nullptr;
  return value ? value : "";
}

bool is_attachment(GMimeObject* object) {
  GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
  return disposition && g_mime_content_disposition_is_attachment(disposition);
}

// partIDs as the renderer numbers them (mime_part_xml.cpp): "01", "02" for the parts of the
// top multipart, "01-02" further down; under `prefix` for an enclosed message.
void number_parts(GMimeObject* object, const std::string& id, std::unordered_map<GMimeObject*, std::string>& ids,
                  int depth) {
  ids[object] = id;
  if (!GMIME_IS_MULTIPART(object) || depth >= kMaxNesting) return;
  GMimeMultipart* multipart = GMIME_MULTIPART(object);
  for (int i = 0; i < g_mime_multipart_get_count(multipart); ++i) {
    char index[16];
    std::snprintf(index, sizeof index, "%02d", i + 1);
    number_parts(g_mime_multipart_get_part(multipart, i), id.empty() ? index : id + "-" + index, ids, depth + 1);
  }
}

// The parts the template's text comes from.
struct BodyChoice {
  GMimePart* plain = nullptr;
  GMimePart* html = nullptr;
  GMimeMultipart* related = nullptr;  // the multipart/related whose root holds `html`
  GMimeObject* related_root = nullptr;
  GMimeObject* container = nullptr;  // the whole body (the alternative, the related...): not an attachment
};

GMimeObject* related_root(GMimeMultipart* related) {
  if (g_mime_multipart_get_count(related) == 0) return nullptr;
  std::string start = type_parameter(GMIME_OBJECT(related), "start");
  if (start.size() > 2 && start.front() == '<' && start.back() == '>') start = start.substr(1, start.size() - 2);
  for (int i = 0; !start.empty() && i < g_mime_multipart_get_count(related); ++i) {
    GMimeObject* part = g_mime_multipart_get_part(related, i);
    const char* id = g_mime_object_get_content_id(part);
    if (id && start == id) return part;
  }
  return g_mime_multipart_get_part(related, 0);
}

BodyChoice choose_body(GMimeObject* object, int depth) {
  if (depth >= kMaxNesting) return {};
  if (GMIME_IS_PART(object)) {
    if (is_attachment(object) || media_type(object) != "text") return {};
    std::string subtype = media_subtype(object);
    if (subtype == "plain") return BodyChoice{GMIME_PART(object), nullptr, nullptr, nullptr, object};
    if (subtype == "html") return BodyChoice{nullptr, GMIME_PART(object), nullptr, nullptr, object};
    return {};
  }
  if (!GMIME_IS_MULTIPART(object)) return {};  // an attached message is never the body
  GMimeMultipart* multipart = GMIME_MULTIPART(object);
  int count = g_mime_multipart_get_count(multipart);
  std::string subtype = media_subtype(object);
  if (subtype == "alternative") {
    // The first plain text, and the last HTML: alternatives go from the simplest to the richest.
    BodyChoice choice;
    for (int i = 0; i < count; ++i) {
      BodyChoice sub = choose_body(g_mime_multipart_get_part(multipart, i), depth + 1);
      if (sub.plain && !choice.plain) choice.plain = sub.plain;
      if (sub.html) {
        choice.html = sub.html;
        choice.related = sub.related;
        choice.related_root = sub.related_root;
      }
    }
    if (!choice.plain && !choice.html) return {};
    choice.container = object;
    return choice;
  }
  if (subtype == "related") {
    GMimeObject* root = related_root(multipart);
    BodyChoice choice = root ? choose_body(root, depth + 1) : BodyChoice{};
    if (!choice.plain && !choice.html) return {};
    if (choice.html && !choice.related) {
      choice.related = multipart;
      choice.related_root = root;
    }
    choice.container = object;
    return choice;
  }
  if (subtype == "signed") return count > 0 ? choose_body(g_mime_multipart_get_part(multipart, 0), depth + 1) : BodyChoice{};
  // mixed, report and the rest: the first part that can be read as the body.
  for (int i = 0; i < count; ++i) {
    BodyChoice choice = choose_body(g_mime_multipart_get_part(multipart, i), depth + 1);
    if (choice.plain || choice.html) return choice;
  }
  return {};
}

// Every part that is not the body: leaves, attached messages and digests. A signature of
// multipart/signed is not an attachment: the forward is not signed by it.
void collect_attachments(GMimeObject* object, const BodyChoice& body, std::vector<GMimeObject*>& out, int depth) {
  if (object == body.container || depth >= kMaxNesting) return;
  // A digest is one document of messages: it travels whole.
  if (!GMIME_IS_MULTIPART(object) || media_subtype(object) == "digest") {
    out.push_back(object);
    return;
  }
  GMimeMultipart* multipart = GMIME_MULTIPART(object);
  int count = g_mime_multipart_get_count(multipart);
  if (media_subtype(object) == "signed") count = std::min(count, 1);
  for (int i = 0; i < count; ++i) collect_attachments(g_mime_multipart_get_part(multipart, i), body, out, depth + 1);
}

// ---- The text -------------------------------------------------------------------------------

std::vector<TextLine> plain_lines(GMimePart* part) {
  GMimeObject* object = GMIME_OBJECT(part);
  return text_lines(part_text(part), iequals(type_parameter(object, "format"), "flowed"),
                    iequals(type_parameter(object, "delsp"), "yes"));
}

// The original's text as a reader sees it: the lines of a plain part, or those of its HTML.
std::vector<TextLine> body_lines(const BodyChoice& body) {
  if (body.plain) return plain_lines(body.plain);
  if (body.html) return html_to_lines(part_text(body.html));
  return {};
}

// Escaped text with its spaces kept: runs of spaces alternate with &nbsp;.
std::string html_line(std::string_view text) {
  std::string escaped = escape_html(text);
  std::string out;
  bool after_space = true;  // a line's first space would be collapsed too
  for (char c : escaped) {
    if (c == '\t') {
      out += "&nbsp; &nbsp; ";
      after_space = false;
    } else if (c == ' ') {
      out += after_space ? "&nbsp;" : " ";
      after_space = !after_space;
    } else {
      out += c;
      after_space = false;
    }
  }
  return out;
}

std::string lines_as_html(const std::vector<TextLine>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const TextLine& line = lines[i];
    std::string text = std::string(static_cast<size_t>(line.depth), '>');
    if (line.depth > 0 && !line.text.empty()) text += ' ';
    text += line.text;
    if (i > 0) out += "<br>\n";
    out += html_line(text);
  }
  return out;
}

// The original's HTML for an HTML template: its own, made safe, or its text as HTML.
std::string body_html(const BodyChoice& body, bool drop_the_signature) {
  if (body.html) return sanitized_html_body(part_text(body.html));
  std::vector<TextLine> lines = body_lines(body);
  if (drop_the_signature) drop_signature(lines);
  return lines_as_html(lines);
}

// "On 2024-03-14 10:15, Alice Example wrote:"
std::string attribution(GMimeMessage* message, const TemplateOptions& options) {
  std::vector<Mailbox> from = mailboxes(message, GMIME_ADDRESS_TYPE_FROM);
  std::string who = from.empty() ? "an unknown sender" : !from.front().name.empty() ? from.front().name : from.front().address;
  if (std::optional<LocalTime> when = local_time(message, options.time_zone))
    return "On " + short_date(*when) + ", " + who + " wrote:";
  return (from.empty() ? "An unknown sender" : who) + " wrote:";
}

// Subject, Date, From, To and Cc of the original, for a forward's header block.
std::vector<std::pair<std::string, std::string>> forwarded_fields(GMimeMessage* message, const TemplateOptions& options) {
  std::vector<std::pair<std::string, std::string>> fields;
  if (std::string subject = one_line(g_mime_message_get_subject(message)); !subject.empty())
    fields.emplace_back("Subject", subject);
  if (std::optional<LocalTime> when = local_time(message, options.time_zone)) fields.emplace_back("Date", full_date(*when));
  std::pair<const char*, GMimeAddressType> lists[] = {
      {"From", GMIME_ADDRESS_TYPE_FROM}, {"To", GMIME_ADDRESS_TYPE_TO}, {"Cc", GMIME_ADDRESS_TYPE_CC}};
  for (const auto& [name, type] : lists)
    if (std::string value = display_mailboxes(mailboxes(message, type)); !value.empty()) fields.emplace_back(name, value);
  return fields;
}

constexpr std::string_view kForwardSeparator = "-------- Forwarded Message --------";

std::string reply_text(GMimeMessage* message, const BodyChoice& body, const TemplateOptions& options) {
  std::vector<TextLine> lines = body_lines(body);
  drop_signature(lines);
  return "\n" + attribution(message, options) + "\n" + lines_as_text(lines, 1);
}

std::string reply_html(GMimeMessage* message, const BodyChoice& body, const TemplateOptions& options) {
  std::string id = original_message_id(message);
  std::string out = "<html><body><p><br></p><p>" + escape_html(attribution(message, options)) + "</p>";
  out += "<blockquote type=\"cite\"";
  if (!id.empty()) out += " cite=\"mid:" + escape_html(id) + "\"";
  out += ">" + body_html(body, true) + "</blockquote></body></html>\n";
  return out;
}

std::string forward_text(GMimeMessage* message, const BodyChoice& body, const TemplateOptions& options) {
  std::string out = "\n" + std::string(kForwardSeparator) + "\n";
  for (const auto& [name, value] : forwarded_fields(message, options)) out += name + ": " + value + "\n";
  out += "\n";
  if (body.plain && !iequals(type_parameter(GMIME_OBJECT(body.plain), "format"), "flowed")) {
    out += part_text(body.plain);  // a fixed-line text as it was written
    if (!out.empty() && out.back() != '\n') out += '\n';
  } else {
    out += lines_as_text(body_lines(body), 0);
  }
  return out;
}

std::string forward_html(GMimeMessage* message, const BodyChoice& body, const TemplateOptions& options) {
  std::string out = "<html><body><p><br></p><div class=\"moz-forward-container\"><p>" + std::string(kForwardSeparator) +
                    "</p>\n<table class=\"moz-email-headers-table\" border=\"0\" cellpadding=\"0\" cellspacing=\"0\">\n";
  for (const auto& [name, value] : forwarded_fields(message, options))
    out += "<tr><th align=\"right\" valign=\"baseline\" nowrap>" + name + ": </th><td>" + escape_html(value) +
           "</td></tr>\n";
  out += "</table>\n<br>\n" + body_html(body, false) + "</div></body></html>\n";
  return out;
}

// ---- The template ---------------------------------------------------------------------------

void write_mailboxes(xml::XmlWriter& out, std::string_view field, const std::vector<Mailbox>& list) {
  for (const Mailbox& mailbox : list) {
    out.open(field);
    out.attr_if("realName", mailbox.name);
    out.text(mailbox.address);
    out.close();
  }
}

void write_copy(xml::XmlWriter& out, const TemplateOptions& options, const std::string& part_id) {
  out.open("copyMIME").attr("folder", options.folder).attr("UID", options.uid).attr_if("partID", part_id).close();
}

}  // namespace

std::optional<TemplateMode> template_mode(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, TemplateMode>, 6> kNames = {{
      {"replyFrom", TemplateMode::reply_from},
      {"replyAll", TemplateMode::reply_all},
      {"forward", TemplateMode::forward},
      {"replyFromHTML", TemplateMode::reply_from_html},
      {"replyAllHTML", TemplateMode::reply_all_html},
      {"forwardHTML", TemplateMode::forward_html},
  }};
  for (const auto& [text, mode] : kNames)
    if (text == name) return mode;
  return std::nullopt;
}

std::string reply_subject(std::string_view subject) {
  StrippedSubject stripped = strip_markers(subject);
  return joined("Re: " + std::string(stripped.forward ? "Fwd: " : "") + stripped.rest);
}

std::string forward_subject(std::string_view subject) {
  StrippedSubject stripped = strip_markers(subject);
  return joined("Fwd: " + std::string(stripped.reply ? "Re: " : "") + stripped.rest);
}

void render_template(xml::XmlWriter& out, GMimeMessage* original, TemplateMode mode, const TemplateOptions& options) {
  if (!original) throw Failure(ErrorCode::badRequest, "the message cannot be parsed");
  bool forward = is_forward(mode), html = is_html(mode);
  std::string subject = one_line(g_mime_message_get_subject(original));
  std::string message_id = original_message_id(original);

  out.open("EMail");
  if (!options.from_address.empty()) write_mailboxes(out, "From", {Mailbox{options.from_real_name, options.from_address}});
  if (!forward) {
    Recipients recipients = reply_recipients(original, is_reply_all(mode), options);
    write_mailboxes(out, "To", recipients.to);
    write_mailboxes(out, "Cc", recipients.cc);
  }
  out.element("Subject", forward ? forward_subject(subject) : reply_subject(subject));
  if (forward) {
    // The forward threads with the original in the sender's own mailboxes, as Thunderbird's do.
    if (!message_id.empty()) {
      out.element("References", "<" + message_id + ">");
      out.element("X-Forwarded-Message-Id", "<" + message_id + ">");
    }
  } else {
    if (!message_id.empty()) out.element("In-Reply-To", "<" + message_id + ">");
    if (std::vector<std::string> references = reply_references(original, message_id); !references.empty())
      out.element("References", bracketed(references));
  }

  GMimeObject* top = g_mime_message_get_mime_part(original);
  BodyChoice body = top ? choose_body(top, 0) : BodyChoice{};
  std::unordered_map<GMimeObject*, std::string> part_ids;
  if (top) number_parts(top, options.part_id, part_ids, 0);
  bool can_copy = !options.folder.empty();

  // HTML keeps the inline images its root refers to (cid: URLs), as parts of multipart/related.
  std::vector<GMimeObject*> related;
  if (html && body.html && body.related && can_copy) {
    for (int i = 0; i < g_mime_multipart_get_count(body.related); ++i)
      if (GMimeObject* part = g_mime_multipart_get_part(body.related, i); part != body.related_root)
        related.push_back(part);
  }
  std::vector<GMimeObject*> attachments;
  if (forward && top && can_copy) collect_attachments(top, body, attachments, 0);

  if (!attachments.empty()) out.open("MIME").attr("type", "multipart").attr("subtype", "mixed");
  if (!related.empty()) out.open("MIME").attr("type", "multipart").attr("subtype", "related");
  std::string text = forward ? (html ? forward_html(original, body, options) : forward_text(original, body, options))
                             : (html ? reply_html(original, body, options) : reply_text(original, body, options));
  out.open("MIME").attr("type", "text").attr("subtype", html ? "html" : "plain").attr("charset", "utf-8");
  out.text(text);
  out.close();
  for (GMimeObject* part : related) write_copy(out, options, part_ids[part]);
  if (!related.empty()) out.close();
  for (GMimeObject* part : attachments) write_copy(out, options, part_ids[part]);
  if (!attachments.empty()) out.close();
  out.close();
}

std::string render_template_xml(std::string_view raw_message, TemplateMode mode, const TemplateOptions& options) {
  GPtr<GMimeMessage> message = parse_message(raw_message);
  if (!message) throw Failure(ErrorCode::badRequest, "the message cannot be parsed");
  std::string text;
  {
    xml::XmlWriter out(text);
    render_template(out, message.get(), mode, options);
  }
  return text;
}

}  // namespace ximssd::mime
