#include "mime/viewer_fields.hpp"

#include <cstdlib>

#include "base/text.hpp"
#include "mime/email_xml.hpp"
#include "mime/gmime_support.hpp"

namespace ximssd::mime {

namespace {

// Every mailbox of the list, groups flattened.
void collect_mailboxes(std::vector<AddressEntry>& out, InternetAddressList* list) {
  for (int i = 0; list && i < internet_address_list_length(list); ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(address)) {
      collect_mailboxes(out, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)));
      continue;
    }
    const char* name = internet_address_get_name(address);
    const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
    out.push_back({to_valid_utf8(addr ? addr : ""), to_valid_utf8(name ? trim_whitespace(name) : std::string())});
  }
}

// X-Priority: 1 and 2 are high, 4 and 5 low (the number leads; "2 (High)" is common).
std::string priority_name(std::string_view value) {
  int level = std::atoi(std::string(trim_whitespace(value)).c_str());
  if (level == 1 || level == 2) return "High";
  if (level == 4 || level == 5) return "Low";
  return "";
}

}  // namespace

std::optional<FieldValue> header_field_value(GMimeMessage* header, std::string_view field) {
  GMimeObject* object = GMIME_OBJECT(header);
  if (iequals(field, "Pty")) {
    const char* value = g_mime_object_get_header(object, "X-Priority");
    if (!value) return std::nullopt;
    return FieldValue{priority_name(value), std::nullopt};
  }
  std::string_view address_only = address_only_field(field);
  bool addresses_only = !address_only.empty();
  std::string name(addresses_only ? address_only : field);
  const char* raw = g_mime_object_get_header(object, name.c_str());
  if (!raw) return std::nullopt;
  FieldValue value;
  if (addresses_only || is_address_field(name)) {
    value.text = address_field_value(raw, addresses_only);
    if (addresses_only) value.addresses = address_entries(raw);
  } else if (iequals(name, "Date") || iequals(name, "Resent-Date")) {
    value.text = trim_whitespace(raw);
    if (GDateTime* parsed = g_mime_utils_header_decode_date(raw)) {
      value.time = g_date_time_to_unix(parsed);
      g_date_time_unref(parsed);
    }
  } else {
    value.text = trim_whitespace(decode_header_text(raw));
  }
  value.text = to_valid_utf8(value.text);
  return value;
}

std::string_view address_only_field(std::string_view field) {
  bool e_prefixed = field.size() > 2 && (field[0] == 'E' || field[0] == 'e') && field[1] == '-';
  return e_prefixed && is_address_field(field.substr(2)) ? field.substr(2) : std::string_view();
}

std::vector<AddressEntry> address_entries(std::string_view raw) {
  ensure_gmime();
  std::string text(raw);
  std::vector<AddressEntry> out;
  GPtr<InternetAddressList> list(internet_address_list_parse(nullptr, text.c_str()));
  collect_mailboxes(out, list.get());
  return out;
}

std::string address_field_value(std::string_view raw, bool addresses_only) {
  ensure_gmime();
  std::string text(raw);
  GPtr<InternetAddressList> list(internet_address_list_parse(nullptr, text.c_str()));
  if (!list) return to_valid_utf8(trim_whitespace(raw));
  std::vector<AddressEntry> entries;
  collect_mailboxes(entries, list.get());
  std::string out;
  for (const auto& entry : entries) {
    const std::string& one = !addresses_only && !entry.real_name.empty() ? entry.real_name : entry.address;
    if (one.empty()) continue;
    if (!out.empty()) out += ", ";
    out += one;
  }
  return out;
}

}  // namespace ximssd::mime
