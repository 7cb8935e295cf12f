// The IMAP4rev1 ENVELOPE of a message (RFC 3501 section 7.4.2), computed once at append and
// stored with the message, so that FETCH ENVELOPE never reads the body file.
#pragma once

#include <gmime/gmime.h>

#include <string>
#include <string_view>

namespace ximssd::mime {

// "(date subject from sender reply-to to cc bcc in-reply-to message-id)" in IMAP syntax:
// NIL for an absent field, quoted strings, literals for text a quoted string cannot carry.
// Sender and Reply-To default to From, as RFC 3501 requires.
std::string imap_envelope(std::string_view message_header);
// The same for a message already parsed (the append path parses each header once).
std::string imap_envelope(GMimeMessage* message);

// An IMAP string: NIL for null, a quoted string when it can be one, else a literal.
std::string imap_string(const char* text);

}  // namespace ximssd::mime
