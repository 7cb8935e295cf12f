// Mailbox access rights (RFC 4314) and access control lists.
//
// Rights are the RFC 4314 letters l r s w i p k x t e a. The RFC 2086 letters are accepted too:
// "c" grants k (create sub-mailboxes) and "d" grants x t e (delete the mailbox, delete and
// expunge messages), as RFC 4314 section 2.1.1 allows. An ACL entry keeps the letters as they
// were given, so a client reads back what it wrote ("lr" + "di" = "lrdi").
//
// Identifiers ("patterns"): "anyone" (every account), "name" (an account in the owner's domain),
// "name@domain", and the same with a "-" prefix for negative rights, which are taken away from
// whatever the positive entries grant. The owner always has every right.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.hpp"

namespace ximssd::mail {

using Rights = uint32_t;

namespace right {
inline constexpr Rights lookup = 1u << 0;      // l: see the mailbox in lists
inline constexpr Rights read = 1u << 1;        // r: open it, read messages
inline constexpr Rights seen = 1u << 2;        // s: keep the Seen flag
inline constexpr Rights write = 1u << 3;       // w: change other flags and keywords
inline constexpr Rights insert = 1u << 4;      // i: append and copy into it
inline constexpr Rights post = 1u << 5;        // p: send mail to its submission address
inline constexpr Rights create = 1u << 6;      // k: create sub-mailboxes
inline constexpr Rights delete_box = 1u << 7;  // x: delete or rename the mailbox
inline constexpr Rights delete_msg = 1u << 8;  // t: set the Deleted flag
inline constexpr Rights expunge = 1u << 9;     // e: expunge
inline constexpr Rights admin = 1u << 10;      // a: read and change the ACL
inline constexpr Rights all = (1u << 11) - 1;
}  // namespace right

// Rights granted by a string of letters; throws Failure(badRequest) for an unknown letter.
Rights parse_rights(std::string_view letters);
// Canonical letters "lrswipkxtea", followed by "c" and "d" when their RFC 4314 rights are all
// present, for RFC 2086 clients.
std::string rights_text(Rights rights);

// The entry's new letters after an update. `mode` is "add", "sub" or anything else (replace).
// Letters keep their order; "sub" of a letter that an RFC 2086 letter implies splits that letter.
std::string updated_rights_text(std::string_view current, std::string_view mode, std::string_view given);

// Throws Failure(badRequest) unless `pattern` is a valid identifier (see above).
void check_acl_pattern(std::string_view pattern);

struct Identity {
  std::string name;    // lower case
  std::string domain;  // lower case
};

// What `who` may do in a mailbox of `owner` whose ACL is `acl`.
Rights effective_rights(const Identity& who, const Identity& owner, const std::vector<store::AclEntry>& acl);

// The identifiers under which an ACL can name `who` (for finding the mailboxes shared with it).
std::vector<std::string> acl_patterns_for(const Identity& who);

}  // namespace ximssd::mail
