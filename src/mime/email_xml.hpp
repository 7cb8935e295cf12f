// An RFC 5322 message as the XIMSS `EMail` XML element (the reference's "XML representation of
// data": EMail, MIME, MIMEReport). Header fields become child elements by category (addresses,
// time stamps, priority, phones, unstructured text); the body becomes a tree of `MIME`
// elements whose content follows the part's Content-Type. Broken input never throws: what
// cannot be read or parsed is marked with readError / parseError.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "formats/xml/xml_writer.hpp"

namespace ximssd::mime {

struct RenderOptions {
  std::string time_zone;  // the reader's zone, for localTime ("" = the server's)
  // The most body data to include, in bytes (folderRead's totalSizeLimit); none = no limit.
  std::optional<int64_t> total_size_limit;
};

// Writes <EMail>...</EMail> for `message` into `out`.
void render_email(xml::XmlWriter& out, std::string_view message, const RenderOptions& options);
std::string render_email_xml(std::string_view message, const RenderOptions& options);

}  // namespace ximssd::mime
