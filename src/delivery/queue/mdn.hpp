// Message disposition notifications (RFC 8098): the "your message was displayed" report that
// XIMSS messageConfirm sends to a message's Disposition-Notification-To address. A
// multipart/report with a readable part, the message/disposition-notification part, and the
// original's header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ximssd::delivery {

struct MdnInput {
  std::string reporting_ua;  // this server's host name
  std::string from;          // the account that displayed the message
  std::string from_name;     // its real name (may be empty)
  bool sent_automatically = false;  // XIMSS type="auto" (else "manual")
  int64_t now = 0;
};

// Where the MDN goes: the first address of the original's Disposition-Notification-To, or
// nothing when it asks for none.
std::optional<std::string> disposition_notification_to(std::string_view original);

// The MDN for `original`, addressed to `to`.
std::string build_mdn(const MdnInput& input, std::string_view original, const std::string& to);

}  // namespace ximssd::delivery
