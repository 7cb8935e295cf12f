// Mailbox names, LIST patterns, access-right letters and ACL identifiers: everything a client
// sends in mailbox requests before it reaches the store. Input: NAME \n PATTERN \n RIGHTS \n ID.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "mail/acl.hpp"
#include "mail/mailbox_name.hpp"
#include "mail/message_flags.hpp"

using namespace ximssd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view parts[4];
  for (auto& part : parts) {
    size_t nl = input.find('\n');
    part = input.substr(0, nl);
    input = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  }
  try {
    std::string canonical = mail::canonical_mailbox_name(parts[0]);
    // A canonical name is stable and matches itself and "*".
    if (mail::canonical_mailbox_name(canonical) != canonical) __builtin_trap();
    if (!mail::mailbox_pattern_matches("*", canonical)) __builtin_trap();
    if (canonical.find_first_of("*%") == std::string::npos && !mail::mailbox_pattern_matches(canonical, canonical))
      __builtin_trap();
    mail::parent_mailbox_name(canonical);
  } catch (const Failure&) {
  }
  if (parts[1].size() <= 512) mail::mailbox_pattern_matches(parts[1], parts[0]);
  mail::split_foreign_name(parts[0]);
  try {
    auto rights = mail::parse_rights(parts[2]);
    if (mail::parse_rights(mail::rights_text(rights)) != rights) __builtin_trap();
    for (const char* mode : {"add", "sub", ""}) mail::updated_rights_text(parts[2], mode, parts[2]);
  } catch (const Failure&) {
  }
  try {
    mail::check_acl_pattern(parts[3]);
    mail::effective_rights({"a", "b.c"}, {"o", "b.c"}, {{std::string(parts[3]), "lr"}});
  } catch (const Failure&) {
  }
  try {
    mail::parse_flag_list(parts[3]);
  } catch (const Failure&) {
  }
  return 0;
}
