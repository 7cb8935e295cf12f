// Internal to the search code: the character classes of IMAP's grammar (RFC 3501 section 9),
// shared by the parser and the printer so that what one writes the other reads.
#pragma once

namespace ximssd::mail::search {

// ATOM-CHAR: no "(", ")", "{", space, controls, "%", "*", '"', "\" or "]". Bytes above 0x7F
// are accepted too (RFC 3501 leaves them out; IMAP4rev2 and users typing into XIMSS do not).
constexpr bool is_atom_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7F) return false;
  switch (c) {
    case '(': case ')': case '{': case ' ': case '%': case '*': case '"': case '\\': case ']': return false;
    default: return true;
  }
}

// ASTRING-CHAR: an atom character or "]".
constexpr bool is_astring_char(char c) { return c == ']' || is_atom_char(c); }

}  // namespace ximssd::mail::search
