// Message flags as stored (a bit set per message). The names are XIMSS's; IMAP maps its
// system flags (\Seen, \Answered, ...) onto the same bits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ximssd::mail {

enum MessageFlag : uint32_t {
  kSeen = 1u << 0,
  kAnswered = 1u << 1,
  kFlagged = 1u << 2,
  kDeleted = 1u << 3,
  kDraft = 1u << 4,
  kMedia = 1u << 5,  // the store's statistics SQL relies on Seen = 1 and Media = 32
  kRedirected = 1u << 6,
  kMdnSent = 1u << 7,
  kHidden = 1u << 8,
  kService = 1u << 9,
  kJunk = 1u << 10,
};

// The bit for a flag name (case-insensitive), or nothing for an unknown name.
std::optional<uint32_t> flag_bit(std::string_view name);
// Comma-separated names, in bit order ("Seen,Answered").
std::string flag_names(uint32_t flags);
// Parses "Seen,Answered"; throws Failure(badRequest) for an unknown flag.
uint32_t parse_flag_list(std::string_view list);

// A list of flag names and negative flag names ("Un" + a name: "Media,Unseen"): the flags to
// set and the flags to clear. Throws Failure(badRequest) for an unknown name.
struct FlagEdit {
  uint32_t set = 0;
  uint32_t clear = 0;
};
FlagEdit parse_flag_edits(std::string_view list);

}  // namespace ximssd::mail
