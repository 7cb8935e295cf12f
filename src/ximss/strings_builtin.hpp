// Generated at build time from resources/strings/*.xml (see src/ximss/CMakeLists.txt).
#pragma once

#include <span>
#include <string_view>

namespace ximssd::ximss {
std::span<const std::string_view> builtin_strings();
}
