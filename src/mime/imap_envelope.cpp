#include "mime/imap_envelope.hpp"

#include "base/text.hpp"
#include "mime/gmime_support.hpp"

namespace ximssd::mime {

namespace {

bool needs_literal(std::string_view text) {
  for (unsigned char c : text)
    if (c == '\r' || c == '\n' || c == 0 || c >= 0x80) return true;
  return false;
}

std::string raw_header(GMimeMessage* message, const char* name) {
  // The field's value as sent (unfolded), not decoded: IMAP clients decode it themselves.
  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
  GMimeHeader* header = headers ? g_mime_header_list_get_header(headers, name) : nullptr;
  const char* raw = header ? g_mime_header_get_raw_value(header) : nullptr;
  if (!raw) return {};
  std::string out;
  for (const char* p = raw; *p; ++p)
    if (*p != '\r' && *p != '\n') out += *p;
  return trim_whitespace(out);
}

std::string header_string(GMimeMessage* message, const char* name) {
  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
  if (!headers || !g_mime_header_list_contains(headers, name)) return "NIL";
  std::string value = raw_header(message, name);
  return imap_string(value.c_str());
}

// A display name as ENVELOPE carries it: encoded words where the name is not ASCII, but not
// quoted (the IMAP string is the quoting), as other servers write it.
std::string envelope_phrase(const char* name) {
  std::string phrase = take_gstring(g_mime_utils_header_encode_phrase(nullptr, name, "utf-8"));
  if (phrase.size() < 2 || phrase.front() != '"' || phrase.back() != '"') return phrase;
  std::string out;
  for (size_t i = 1; i + 1 < phrase.size(); ++i) {
    if (phrase[i] == '\\' && i + 2 < phrase.size()) ++i;
    out += phrase[i];
  }
  return out;
}

void append_address(std::string& out, InternetAddress* address) {
  if (INTERNET_ADDRESS_IS_GROUP(address)) {
    // RFC 3501: a group is (NIL NIL "name" NIL), its members, then (NIL NIL NIL NIL).
    const char* group_name = internet_address_get_name(address);
    std::string name = group_name ? envelope_phrase(group_name) : "";
    out += "(NIL NIL " + imap_string(name.c_str()) + " NIL)";
    InternetAddressList* members = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address));
    for (int i = 0; members && i < internet_address_list_length(members); ++i)
      append_address(out, internet_address_list_get_address(members, i));
    out += "(NIL NIL NIL NIL)";
    return;
  }
  const char* name = internet_address_get_name(address);
  std::string phrase;
  if (name && *name) phrase = envelope_phrase(name);
  std::string addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address))
                         ? internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address))
                         : "";
  size_t at = addr.rfind('@');
  std::string local = at == std::string::npos ? addr : addr.substr(0, at);
  std::string host = at == std::string::npos ? "" : addr.substr(at + 1);
  out += "(" + (phrase.empty() ? std::string("NIL") : imap_string(phrase.c_str())) + " NIL " +
         imap_string(local.c_str()) + " " + (host.empty() ? std::string("NIL") : imap_string(host.c_str())) + ")";
}

std::string address_list(InternetAddressList* list) {
  if (!list || internet_address_list_length(list) == 0) return "NIL";
  std::string out = "(";
  for (int i = 0; i < internet_address_list_length(list); ++i) append_address(out, internet_address_list_get_address(list, i));
  return out + ")";
}

}  // namespace

std::string imap_string(const char* text) {
  if (!text) return "NIL";
  std::string_view t(text);
  if (needs_literal(t)) return "{" + std::to_string(t.size()) + "}\r\n" + std::string(t);
  std::string out = "\"";
  for (char c : t) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string imap_envelope(std::string_view message_header) {
  auto message = parse_message(message_header);
  return imap_envelope(message.get());
}

std::string imap_envelope(GMimeMessage* m) {
  if (!m) return "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
  std::string from = address_list(g_mime_message_get_from(m));
  std::string sender = address_list(g_mime_message_get_sender(m));
  std::string reply_to = address_list(g_mime_message_get_reply_to(m));
  if (sender == "NIL") sender = from;
  if (reply_to == "NIL") reply_to = from;
  return "(" + header_string(m, "Date") + " " + header_string(m, "Subject") + " " + from + " " + sender + " " +
         reply_to + " " + address_list(g_mime_message_get_to(m)) + " " + address_list(g_mime_message_get_cc(m)) +
         " " + address_list(g_mime_message_get_bcc(m)) + " " + header_string(m, "In-Reply-To") + " " +
         header_string(m, "Message-ID") + ")";
}

}  // namespace ximssd::mime
