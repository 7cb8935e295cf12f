// FETCH BODY[section] (RFC 3501 section 6.4.5): which bytes of a stored message a section names.
// The parts are those of GMime's parse and their bytes those PartBounds finds, as for
// BODYSTRUCTURE, so that what FETCH serves always has the size BODYSTRUCTURE announced.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::mime {

struct SectionSpec {
  std::vector<int> part;  // "1.2" → {1, 2}; empty: the message itself
  enum class Text { none, header, header_fields, header_fields_not, text, mime } text = Text::none;
  std::vector<std::string> fields;  // for HEADER.FIELDS [.NOT]

  // The section as FETCH responses name it ("1.2.HEADER.FIELDS (DATE FROM)"). The IMAP command
  // parser (imap/command_parser) reads it from the wire.
  std::string to_string() const;
  bool operator==(const SectionSpec&) const = default;
};

// The bytes `spec` names in `raw`; nullopt when the message has no such part (or HEADER/TEXT
// name a part that is not a message), which FETCH answers with an empty string.
std::optional<std::string> section_bytes(std::string_view raw, const SectionSpec& spec);

}  // namespace ximssd::mime
