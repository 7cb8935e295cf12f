// Process-wide logging setup (spdlog). Call sites use spdlog::info/warn/... directly.
#pragma once

#include <string_view>

namespace ximssd {

// level: trace, debug, info, warn, error, off. Logs go to stderr.
void init_logging(std::string_view level);

}  // namespace ximssd
