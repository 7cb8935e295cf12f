// Part IDs: where a MIME part sits in a message, as the `partID` attributes of the message's
// XML form name it (and folderRead, copyMIME and the HTTP part URLs take it back).
//   - a message's top part has no ID (it is the message itself);
//   - the sub-parts of a multipart are numbered "01", "02", ... below their parent: "01-02" is
//     the second part of the first part;
//   - the parts of a message enclosed in a message/rfc822 part "P" are numbered below "P", as
//     if the enclosed message's top part were "P" itself: "P-01" ...
// Components are compared as numbers, so "3" names the same part as "03".
#pragma once

#include <gmime/gmime.h>

#include <string_view>

namespace ximssd::mime {

// The part `part_id` names in `message` ("" = the message's top part), or null when there is
// none. The result is owned by `message`.
GMimeObject* find_part(GMimeMessage* message, std::string_view part_id);

}  // namespace ximssd::mime
