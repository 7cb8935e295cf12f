// The Rule actions that change the delivered message: "Add Header" and "Tag Subject". They edit
// the header text and leave the rest of the message byte for byte. Coroutine-free.
#pragma once

#include <string>
#include <string_view>

namespace ximssd::delivery {

// The message with `line` ("Name: value") as its first header field. A value that is not ASCII
// is written as an RFC 2047 encoded word.
std::string add_header_line(std::string_view message, std::string_view line);

// The message with `tag` put before its Subject ("[list] Subject"); a Subject field is added
// when there is none. Unchanged when the decoded Subject already holds the tag (so a message
// that passes the Rule twice is tagged once).
std::string tag_subject(std::string_view message, std::string_view tag, std::string_view decoded_subject);

}  // namespace ximssd::delivery
