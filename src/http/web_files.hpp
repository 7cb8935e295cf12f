// The built-in web client's files (resources/web/), compiled into the binary.
#pragma once

#include <cstddef>
#include <string_view>

namespace ximssd::http {

struct WebFile {
  const char* name;
  const char* data;
  size_t size;
};

// The file `name` (no directories), or null.
const WebFile* find_web_file(std::string_view name);

}  // namespace ximssd::http
