// Mailbox names on the IMAP wire: RFC 3501's modified UTF-7 (section 5.1.3). The store and
// XIMSS hold names as UTF-8; IMAP clients send and expect them in this form.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ximssd::imap {

// UTF-8 → modified UTF-7. Invalid UTF-8 is encoded as U+FFFD.
std::string encode_mutf7(std::string_view utf8);

// Modified UTF-7 → UTF-8; nullopt for text that is not valid modified UTF-7 (an unterminated or
// empty shift, bad base64, leftover bits, a character that must be sent as itself, a broken
// surrogate pair, or 8-bit bytes).
std::optional<std::string> decode_mutf7(std::string_view mutf7);

}  // namespace ximssd::imap
