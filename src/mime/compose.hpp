// Composing an RFC 5322 message from its XIMSS XML form (`EMail` with header elements and one
// `MIME` body element; C-messages.md section 7), with GMime doing the MIME encoding.
#pragma once

#include <pugixml.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace ximssd::mime {

// A file of the session's uploaded-file set, as a part's data source.
struct UploadedFile {
  std::string file_name;
  std::string type, subtype, charset;  // from the upload's Content-Type
  std::string data;
};

struct ComposeOptions {
  // Finds a file of the uploaded-file set by uploadID (null when there is none).
  std::function<const UploadedFile*(std::string_view upload_id)> find_upload;
  // Finds a stored message for copyMIME, by Folder View name and UID: its text as stored.
  // Throws Failure when the view or the message is unknown or may not be read.
  std::function<std::string(std::string_view folder, int64_t uid)> find_message;
  std::string host = "localhost";  // for generated Message-IDs
  int64_t now = 0;                 // seconds since the epoch, for a generated Date
  bool keep_bcc = true;            // false when the message is being sent
  bool add_missing_fields = true;  // Message-ID and Date when the XML has none
};

// A part's data may come from an uploaded file (`uploadID`), or be given inline as the MIME
// element's text: the text itself for text parts, base64 for every other type. `copyMIME`
// copies a stored message (as a message/rfc822 part) or one of its parts (without the part's
// non-MIME header fields). With `uploadID` on the EMail element the upload is the whole
// message, and the EMail's header elements replace or add fields of its header.
// The message text, CRLF line ends. Throws Failure(badRequest) saying what is wrong with the
// XML (an unknown part source, a part without type, bad addresses...).
std::string compose_message(pugi::xml_node email, const ComposeOptions& options);

// RFC 3676 format=flowed: lines longer than 78 octets are broken after a space (the space stays
// at the end of the line, marking it as soft), and lines starting with ' ', '>' or "From " are
// space-stuffed. `text` uses LF line ends; so does the result.
std::string flowed_text(const std::string& text);

}  // namespace ximssd::mime
