#include "mime/viewer_fields.hpp"

#include <cstdlib>

#include "base/text.hpp"
#include "mime/email_xml.hpp"
#include "mime/gmime_support.hpp"

namespace ximssd::mime {

namespace {

void append_addresses(std::string& out, InternetAddressList* list, bool addresses_only) {
  for (int i = 0; list && i < internet_address_list_length(list); ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(address)) {
      append_addresses(out, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), addresses_only);
      continue;
    }
    const char* name = internet_address_get_name(address);
    const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
    std::string one = !addresses_only && name && *name ? trim_whitespace(name) : std::string(addr ? addr : "");
    if (one.empty()) continue;
    if (!out.empty()) out += ", ";
    out += one;
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
  bool addresses_only = field.size() > 2 && (field[0] == 'E' || field[0] == 'e') && field[1] == '-' &&
                        is_address_field(field.substr(2));
  std::string name(addresses_only ? field.substr(2) : field);
  const char* raw = g_mime_object_get_header(object, name.c_str());
  if (!raw) return std::nullopt;
  FieldValue value;
  if (addresses_only || is_address_field(name)) {
    value.text = address_field_value(raw, addresses_only);
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

std::string address_field_value(std::string_view raw, bool addresses_only) {
  ensure_gmime();
  std::string text(raw);
  GPtr<InternetAddressList> list(internet_address_list_parse(nullptr, text.c_str()));
  if (!list) return to_valid_utf8(trim_whitespace(raw));
  std::string out;
  append_addresses(out, list.get(), addresses_only);
  return to_valid_utf8(out);
}

}  // namespace ximssd::mime
