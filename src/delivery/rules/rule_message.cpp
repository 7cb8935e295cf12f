#include "delivery/rules/rule_message.hpp"

#include "base/text.hpp"
#include "delivery/outgoing_messages.hpp"
#include "mime/gmime_support.hpp"
#include "mime/part_content.hpp"

namespace ximssd::delivery {

namespace {

// Folding (CRLF or LF before white space) removed; the white space stays.
std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw)
    if (c != '\r' && c != '\n') out += c;
  return trim_whitespace(out);
}

void add_mailboxes(InternetAddressList* list, std::vector<MessageAddress>& out) {
  for (int i = 0; list && i < internet_address_list_length(list); ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(address)) {
      add_mailboxes(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), out);
      continue;
    }
    const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
    const char* name = internet_address_get_name(address);
    if (!addr || !*addr) continue;
    out.push_back({to_valid_utf8(addr), to_valid_utf8(trim_whitespace(name ? name : ""))});
  }
}

}  // namespace

RuleMessage::RuleMessage(std::string_view message) : size_(message.size()) {
  std::string_view header = message.substr(0, mime::header_length(message));
  automatic_ = is_automatic_or_bulk(header);
  auto parsed = mime::parse_message(header);
  if (!parsed) return;
  GMimeHeaderList* list = g_mime_object_get_header_list(GMIME_OBJECT(parsed.get()));
  int count = list ? g_mime_header_list_get_count(list) : 0;
  for (int i = 0; i < count; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
    const char* name = g_mime_header_get_name(h);
    const char* raw = g_mime_header_get_raw_value(h);
    Field field{name ? name : "", unfold(raw ? raw : ""), {}};
    field.decoded = to_valid_utf8(trim_whitespace(mime::decode_header_text(field.raw)));
    fields_.push_back(std::move(field));
  }
}

std::vector<std::string> RuleMessage::values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& f : fields_)
    if (iequals(f.name, name)) out.push_back(f.decoded);
  return out;
}

std::string RuleMessage::value(std::string_view name) const {
  for (const auto& f : fields_)
    if (iequals(f.name, name)) return f.decoded;
  return {};
}

std::vector<MessageAddress> RuleMessage::addresses(std::string_view name) const {
  std::vector<MessageAddress> out;
  for (const auto& f : fields_) {
    if (!iequals(f.name, name)) continue;
    mime::GPtr<InternetAddressList> list(internet_address_list_parse(nullptr, f.raw.c_str()));
    add_mailboxes(list.get(), out);
  }
  return out;
}

}  // namespace ximssd::delivery
