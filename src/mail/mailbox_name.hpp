// Mailbox names: '/'-separated paths in UTF-8. "INBOX" is case-insensitive and always stored
// in capitals; every other name is case-sensitive. Another account's mailbox is named
// "~user@domain/Name" (or "~user/Name" in the same domain).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ximssd::mail {

inline constexpr size_t kMaxMailboxNameBytes = 512;
inline constexpr size_t kMaxMailboxComponentBytes = 255;

// Checks a name within one account (no "~" prefix) and returns its canonical spelling ("inbox"
// becomes "INBOX", "Inbox/x" becomes "INBOX/x"). Throws Failure(badRequest) saying what is wrong:
// empty components, "." or "..", control characters, invalid UTF-8, too long.
std::string canonical_mailbox_name(std::string_view name);

struct ForeignName {
  std::string account;  // "user"
  std::string domain;   // "" when the name gave none
  std::string mailbox;  // "" when the name is just "~user@domain"
};
// Splits "~user@domain/Name"; nothing when the name does not start with '~'.
std::optional<ForeignName> split_foreign_name(std::string_view name);

// IMAP LIST pattern matching: '*' matches anything, '%' anything but '/'.
bool mailbox_pattern_matches(std::string_view pattern, std::string_view name);

// "A/B/C" -> "A/B"; "" for a top-level name.
std::string parent_mailbox_name(std::string_view name);
// True when `name` is `ancestor` or below it ("A/B" is below "A", "AB" is not).
bool is_same_or_below(std::string_view name, std::string_view ancestor);

}  // namespace ximssd::mail
