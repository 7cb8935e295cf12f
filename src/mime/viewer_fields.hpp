// The values of a Folder View's "viewer fields" (B-mailboxes-folders.md section 4.2) taken from
// a message's header: what folderBrowse reports for each message and what views sort by.
// Metadata fields (UID, FLAGS, SIZE, INTERNALDATE, ORIGUID) come from the store, not from here.
#pragma once

#include <gmime/gmime.h>

#include <optional>
#include <string>
#include <vector>
#include <string_view>

namespace ximssd::mime {

// One address of an address field: the address and its real name ("" when it has none).
struct AddressEntry {
  std::string address;
  std::string real_name;
};

struct FieldValue {
  std::string text;
  std::optional<int64_t> time;  // set for Date and Resent-Date: seconds since the epoch, UTC
  std::vector<AddressEntry> addresses;  // for "E-" fields: each address, as clients list them
};

// The value of `field` in `header` (a parsed message; only its header is used):
//   - address fields (From, To, ...): each address's real name, or the address when it has
//     none, joined with ", ";
//   - "E-" + an address field: the addresses only;
//   - Date, Resent-Date: the time (and its text, for sorting when it does not parse);
//   - Pty: "High", "Low" or "" from X-Priority;
//   - any other field: its MIME-decoded value.
// Nothing when the message has no such field.
std::optional<FieldValue> header_field_value(GMimeMessage* header, std::string_view field);

// "E-To" → "To": the address field an "E-" viewer field shows as addresses only; "" for any
// other field.
std::string_view address_only_field(std::string_view field);

// An address field's value as above, from the field's text.
std::string address_field_value(std::string_view raw, bool addresses_only);
// Every address of an address field's text (groups flattened), valid UTF-8.
std::vector<AddressEntry> address_entries(std::string_view raw);

}  // namespace ximssd::mime
