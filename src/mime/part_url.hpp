// A message part as the HTTP session URLs serve it (/Session/ID/MIME/...): the part whole (its
// header and body, not decoded), its header, its decoded body, or the body of a "related" part
// found by Content-ID (how an HTML part's cid: URLs resolve).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ximssd::mime {

struct ServedPart {
  std::string data;
  std::string content_type;  // "type/subtype" with the charset parameter for text
  std::string file_name;     // the part's file name when it has one
};

enum class PartView { whole, header, body };

// `part_id` as partID attributes name parts ("" = the message itself). The message's own
// header and whole text are its stored bytes; an inner part's are what GMime writes back (its
// header fields' raw values and its content as stored). nullopt when there is no such part.
std::optional<ServedPart> serve_part(std::string_view message, std::string_view part_id, PartView view);

// The decoded body of the part whose Content-ID is `content_id` (without <>), searched among the
// parts related to `part_id`: the descendants of its parent, then of its grandparent, up to the
// whole message. nullopt when none has it.
std::optional<ServedPart> serve_related(std::string_view message, std::string_view part_id,
                                        std::string_view content_id);

}  // namespace ximssd::mime
