// Base64 (RFC 4648, with padding) over OpenSSL's EVP coder.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ximssd {

std::string base64_encode(std::string_view data);
// nullopt when the text is not valid base64. Whitespace is not accepted.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace ximssd
