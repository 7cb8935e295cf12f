// multipart/form-data bodies (RFC 7578), as browsers POST files: the UPLOAD session URL takes
// the file from its `fileData` field.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ximssd::mime {

struct FormField {
  std::string data;          // the field's bytes as sent
  std::string content_type;  // its Content-Type value, "" when absent
  std::string file_name;     // its filename parameter, "" when absent
};

// A Content-Type value as GMime reads it: type and subtype in lower case
// (application/octet-stream when the value names none), and the charset parameter.
struct MediaType {
  std::string type, subtype, charset;
};
MediaType parse_media_type(std::string_view content_type);

// The field named `name` of a body sent with Content-Type `content_type`; nullopt when the
// type is not multipart/form-data with a boundary, the body does not parse, or no field has
// that name.
std::optional<FormField> form_field(std::string_view content_type, std::string_view body, std::string_view name);

}  // namespace ximssd::mime
