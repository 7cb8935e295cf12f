// `ximssd serve`: builds the services, opens the listeners and runs until SIGINT/SIGTERM.
#pragma once

#include "server/config.hpp"

namespace ximssd::server {

int serve(const Config& config);

}  // namespace ximssd::server
