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
  // folderRead x509="base64": each x509 element of a signature also carries the certificate.
  bool x509_base64 = false;
  // A PEM file of certificate authorities trusted for S/MIME signatures besides the system's
  // ("" = the system's only); read once per process.
  std::string smime_ca_file;
};

// True for the header fields that hold addresses (From, To, Reply-To, Resent-Cc, ...).
bool is_address_field(std::string_view name);
// True for MIME-Version and the Content-* fields: in the XML form the MIME element's attributes
// describe them, so they are not header elements.
bool is_mime_field(std::string_view name);

// Writes <EMail>...</EMail> for `message` into `out`.
void render_email(xml::XmlWriter& out, std::string_view message, const RenderOptions& options);
std::string render_email_xml(std::string_view message, const RenderOptions& options);
// Writes one part of `message` (mime/part_path.hpp names it; "" is the whole message): <EMail>
// for the message or an enclosed message/rfc822 part, <MIME> for any other part. False when the
// message has no such part (nothing is written then).
bool render_message_part(xml::XmlWriter& out, std::string_view message, std::string_view part_id,
                         const RenderOptions& options);

}  // namespace ximssd::mime
