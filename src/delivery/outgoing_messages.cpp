#include "delivery/outgoing_messages.hpp"

#include <gmime/gmime.h>

#include "base/random.hpp"
#include "base/text.hpp"
#include "base/time_format.hpp"
#include "mime/gmime_support.hpp"

namespace ximssd::delivery {

namespace {

using mime::GPtr;
using mime::take_gstring;

// GMime's options for formatting header values: CRLF line ends, as the store keeps them.
struct Format {
  GMimeFormatOptions* options = g_mime_format_options_new();
  Format() { g_mime_format_options_set_newline_format(options, GMIME_NEWLINE_FORMAT_DOS); }
  ~Format() { g_mime_format_options_free(options); }
  Format(const Format&) = delete;
  Format& operator=(const Format&) = delete;
};

// "Name <addr>" with the name RFC 2047-encoded when it is not ASCII.
std::string format_address(const Format& format, const std::string& address, const std::string& real_name) {
  GPtr<InternetAddress> mailbox(internet_address_mailbox_new(real_name.empty() ? nullptr : real_name.c_str(),
                                                             address.c_str()));
  return take_gstring(internet_address_to_string(mailbox.get(), format.options, TRUE));
}

std::string format_address_list(const Format& format, const std::vector<std::string>& addresses) {
  std::string out;
  for (const auto& a : addresses) {
    if (!out.empty()) out += ",\r\n ";
    out += format_address(format, a, "");
  }
  return out;
}

// An unstructured field ("Subject: text"), encoded and folded by GMime; ends with CRLF.
std::string unstructured_field(const Format& format, std::string_view name, std::string_view value) {
  std::string encoded = take_gstring(g_mime_utils_header_encode_text(format.options, std::string(value).c_str(), "utf-8"));
  std::string field = std::string(name) + ": " + encoded;
  std::string folded = take_gstring(g_mime_utils_unstructured_header_fold(nullptr, format.options, field.c_str()));
  if (folded.size() < 2 || folded.compare(folded.size() - 2, 2, "\r\n") != 0) {
    if (!folded.empty() && folded.back() == '\n') folded.pop_back();
    folded += "\r\n";
  }
  return folded;
}

std::string new_message_id(const std::string& host) {
  return "<" + take_gstring(g_mime_utils_generate_message_id(host.c_str())) + ">";
}

// The original's header fields we build on: Subject (decoded), Message-ID, References, From.
struct OriginalFields {
  std::string subject, message_id, references, from;
};

OriginalFields read_original(std::string_view original) {
  OriginalFields fields;
  auto message = mime::parse_message(original);
  if (!message) return fields;
  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(message.get()));
  auto raw = [&](const char* name) -> std::string {
    GMimeHeader* header = g_mime_header_list_get_header(headers, name);
    if (!header) return {};
    const char* value = g_mime_header_get_raw_value(header);
    return value ? trim_whitespace(value) : std::string();
  };
  fields.subject = mime::decode_header_text(raw("Subject"));
  fields.message_id = raw("Message-ID");
  fields.references = raw("References");
  fields.from = mime::decode_header_text(raw("From"));
  // Unfold: a References field may span lines.
  for (auto* s : {&fields.message_id, &fields.references})
    for (char& c : *s)
      if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  return fields;
}

// A text/plain UTF-8 body part (its MIME header and body), encoded for 7-bit transport.
std::string text_part(const Format& format, std::string_view text) {
  std::string body(text);
  // The part's text uses CRLF like the rest of the message.
  std::string crlf;
  crlf.reserve(body.size() + body.size() / 32);
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) crlf += '\r';
    crlf += body[i];
  }
  if (crlf.size() < 2 || crlf.compare(crlf.size() - 2, 2, "\r\n") != 0) crlf += "\r\n";
  GPtr<GMimeTextPart> part(g_mime_text_part_new_with_subtype("plain"));
  g_mime_text_part_set_text(part.get(), crlf.c_str());
  g_mime_text_part_set_charset(part.get(), "utf-8");
  g_mime_object_encode(GMIME_OBJECT(part.get()), GMIME_ENCODING_CONSTRAINT_7BIT);
  return take_gstring(g_mime_object_to_string(GMIME_OBJECT(part.get()), format.options));
}

std::string subject_with_prefix(std::string_view prefix, const std::string& subject) {
  std::string s = trim_whitespace(subject);
  if (s.size() >= prefix.size() && iequals(std::string_view(s).substr(0, prefix.size()), prefix)) return s;
  return std::string(prefix) + " " + s;
}

}  // namespace

std::string redirect_message(std::string_view original, const MessageAuthor& by, const std::vector<std::string>& to,
                             const MakeOptions& options) {
  mime::ensure_gmime();
  Format format;
  std::string out;
  out += "Resent-From: " + format_address(format, by.address, by.real_name) + "\r\n";
  if (!to.empty()) out += "Resent-To: " + format_address_list(format, to) + "\r\n";
  out += "Resent-Date: " + format_rfc5322_date(options.now ? options.now : now_epoch_seconds()) + "\r\n";
  out += "Resent-Message-ID: " + new_message_id(options.host) + "\r\n";
  out.append(original);
  return out;
}

std::string forward_message(std::string_view original, const MessageAuthor& by, const std::vector<std::string>& to,
                            const MakeOptions& options) {
  mime::ensure_gmime();
  Format format;
  OriginalFields fields = read_original(original);
  // A boundary that the attached message does not contain.
  std::string boundary;
  do {
    boundary = "=_ximssd_" + random_alnum(24);
  } while (original.find(boundary) != std::string_view::npos);

  std::string out;
  out += "From: " + format_address(format, by.address, by.real_name) + "\r\n";
  if (!to.empty()) out += "To: " + format_address_list(format, to) + "\r\n";
  out += unstructured_field(format, "Subject", subject_with_prefix("Fwd:", fields.subject));
  out += "Date: " + format_rfc5322_date(options.now ? options.now : now_epoch_seconds()) + "\r\n";
  out += "Message-ID: " + new_message_id(options.host) + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n";
  std::string note = "Forwarded message";
  if (!fields.from.empty()) note += " from " + fields.from;
  if (!fields.subject.empty()) note += ": " + fields.subject;
  out += text_part(format, note + "\n");
  out += "\r\n--" + boundary + "\r\n";
  out += "Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n";
  out.append(original);
  if (original.size() < 2 || original.substr(original.size() - 2) != "\r\n") out += "\r\n";
  out += "--" + boundary + "--\r\n";
  return out;
}

std::string auto_reply(std::string_view original, const MessageAuthor& from, const std::vector<std::string>& to,
                       std::string_view text, const MakeOptions& options) {
  mime::ensure_gmime();
  Format format;
  OriginalFields fields = read_original(original);
  std::string out;
  out += "From: " + format_address(format, from.address, from.real_name) + "\r\n";
  if (!to.empty()) out += "To: " + format_address_list(format, to) + "\r\n";
  out += unstructured_field(format, "Subject", subject_with_prefix("Re:", fields.subject));
  out += "Date: " + format_rfc5322_date(options.now ? options.now : now_epoch_seconds()) + "\r\n";
  out += "Message-ID: " + new_message_id(options.host) + "\r\n";
  if (!fields.message_id.empty()) {
    out += "In-Reply-To: " + fields.message_id + "\r\n";
    std::string refs = fields.references.empty() ? fields.message_id : fields.references + " " + fields.message_id;
    out += "References: " + refs + "\r\n";
  }
  out += "Auto-Submitted: auto-replied\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += text_part(format, text);
  return out;
}

bool is_automatic_or_bulk(std::string_view message) {
  auto parsed = mime::parse_message(message);
  if (!parsed) return false;
  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(parsed.get()));
  auto value = [&](const char* name) -> std::optional<std::string> {
    GMimeHeader* header = g_mime_header_list_get_header(headers, name);
    if (!header) return std::nullopt;
    const char* v = g_mime_header_get_raw_value(header);
    return trim_whitespace(v ? v : "");
  };
  if (auto submitted = value("Auto-Submitted")) {
    std::string_view s = *submitted;
    s = s.substr(0, s.find_first_of(" \t;("));
    if (!iequals(s, "no")) return true;
  }
  if (auto precedence = value("Precedence")) {
    std::string p = trim_whitespace(*precedence);
    if (iequals(p, "bulk") || iequals(p, "list") || iequals(p, "junk")) return true;
  }
  return value("List-Id").has_value() || value("List-Unsubscribe").has_value();
}

}  // namespace ximssd::delivery
