// A message enclosed in another (a message/rfc822 part, a digest's part), as its own text: what
// messageRedirect and messageForward send when given a partID.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ximssd::mime {

// The message the part `part_id` of `message` encloses, CRLF line ends; nothing when there is no
// such part or it is not a message.
std::optional<std::string> embedded_message(std::string_view message, std::string_view part_id);

}  // namespace ximssd::mime
