// The IMAP4rev1 BODY and BODYSTRUCTURE of a message (RFC 3501 section 7.4.2), computed once at
// append and stored with the message, so that FETCH BODY/BODYSTRUCTURE never reparses the body.
//
// The form follows what Dovecot emits, so that clients see what they are used to:
// - Types, subtypes, parameter names, dispositions and encodings are written as the message
//   spells them ("Text" "Plain" stays so; clients compare them case-insensitively). Defaults are
//   lower case: "text" "plain" ("charset" "us-ascii") and "7bit". A Content-Type that cannot be
//   parsed counts as text/plain; charset=us-ascii (RFC 2045 section 5.2).
// - Text parts without a charset get ("charset" "us-ascii") after their own parameters.
// - Parameters are decoded by GMime (RFC 2231 continuations joined, charsets converted) and
//   written back in 7 bits: a plain ASCII value as it is; a value the sender encoded by RFC 2231
//   as ("name*" "utf-8'lang'%XX..."); any other non-ASCII value (raw 8-bit, RFC 2047 words) as
//   RFC 2047 words under its own name.
// - Only message/rfc822 gets the envelope, body and line count (RFC 3501's media-message);
//   message/global, message/news ... are basic parts. A message/rfc822 part whose content is
//   transfer-encoded (so not parsed) or empty gets an empty envelope and an empty text/plain body.
// - A multipart without parts (no boundary, or no part before the close delimiter), and any part
//   nested deeper than kMaxNesting (render_state.hpp), is written as an empty text/plain part, so
//   the result is always valid. The parts are those of GMime's parse, which the server must also
//   use to resolve BODY[section] numbers.
// - body-fld-octets is the size of the part's body as stored: the bytes between the blank line
//   that ends its header and the line break before the next boundary line. body-fld-lines is
//   the number of LF characters in those bytes. Both are counted on the stored bytes: for a
//   message stored with CRLF line ends (what IMAP serves) they are Dovecot's numbers; a message
//   stored with bare LF gives one octet less per line than its CRLF form.
//
// Checked against Dovecot 2.3.19 on the 149 messages of tests/e2e/mail_corpus.py (stored with
// CRLF): the answers differ only in the ways tests/unit/imap_bodystructure_test.cpp lists in
// DiffersFromDovecotWhereJustified (and in display names, which imap_envelope writes).
#pragma once

#include <gmime/gmime.h>

#include <string>
#include <string_view>

namespace ximssd::mime {

// "(...)" in IMAP syntax for the message `raw`: BODYSTRUCTURE when `extensible`, else BODY
// (the same without extension data).
std::string imap_bodystructure(std::string_view raw, bool extensible);
// The same for `message` as parse_message(raw) made it (sizes are read from `raw` at the offsets
// the parse recorded; a message that was not parsed from `raw` is parsed again).
std::string imap_bodystructure(GMimeMessage* message, std::string_view raw, bool extensible);

}  // namespace ximssd::mime
