// IMAP flags over the store's flag bits: the system flags \Seen \Answered \Flagged \Deleted
// \Draft, and the keywords $Junk and $MDNSent, which XIMSS keeps as bits too (Junk, MDNSent);
// every other keyword is stored as text with the message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::imap {

// The bits IMAP sees and sets (XIMSS's Media, Hidden, Service and Redirected stay XIMSS's own).
uint32_t imap_flag_mask();
// "(\Seen $Junk work)" with \Recent when `recent`.
void append_flag_list(std::string& out, uint32_t bits, std::string_view keywords, bool recent);

struct ParsedFlags {
  uint32_t bits = 0;
  std::vector<std::string> keywords;
};
// Flags as a client sends them (STORE, APPEND). \Recent is ignored (it cannot be set); an
// unknown system flag ("\Foo") throws Failure(badRequest).
ParsedFlags parse_flags(const std::vector<std::string>& flags);

// FLAGS and PERMANENTFLAGS for SELECT: the system flags and the keywords in use in the mailbox
// (`keyword_sets`: space-separated keyword lists).
std::string defined_flags_text(const std::vector<std::string>& keyword_sets);
std::string permanent_flags_text(bool writable, const std::vector<std::string>& keyword_sets);

}  // namespace ximssd::imap
