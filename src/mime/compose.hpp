// Composing an RFC 5322 message from its XIMSS XML form (`EMail` with header elements and one
// `MIME` body element; C-messages.md section 7), with GMime doing the MIME encoding.
#pragma once

#include <pugixml.hpp>

#include <cstdint>
#include <string>

namespace ximssd::mime {

struct ComposeOptions {
  std::string host = "localhost";  // for generated Message-IDs
  int64_t now = 0;                 // seconds since the epoch, for a generated Date
  bool keep_bcc = true;            // false when the message is being sent
  bool add_missing_fields = true;  // Message-ID and Date when the XML has none
};

// The message text, CRLF line ends. Throws Failure(badRequest) saying what is wrong with the
// XML (an unknown part source, a part without type, bad addresses...).
std::string compose_message(pugi::xml_node email, const ComposeOptions& options);

// RFC 3676 format=flowed: lines longer than 78 octets are broken after a space (the space stays
// at the end of the line, marking it as soft), and lines starting with ' ', '>' or "From " are
// space-stuffed. `text` uses LF line ends; so does the result.
std::string flowed_text(const std::string& text);

}  // namespace ximssd::mime
