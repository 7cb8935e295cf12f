// Options every subcommand takes: where the data lives and how the server is configured.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/config.hpp"

namespace ximssd::server {

struct CommonOptions {
  std::string data_dir = "./var";
  std::optional<std::string> config_file;
  std::vector<std::string> overrides;

  Config load() const {
    std::optional<std::filesystem::path> file;
    if (config_file) file = *config_file;
    return load_config(data_dir, file, overrides);
  }
};

}  // namespace ximssd::server
