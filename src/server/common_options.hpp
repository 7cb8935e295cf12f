// Options every subcommand takes: where the data lives and how the server is configured.
#pragma once

#include <CLI/CLI.hpp>

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

// Registers --data, --config and --set on a subcommand.
inline void add_common(CLI::App* cmd, CommonOptions& common) {
  cmd->add_option("--data", common.data_dir, "data directory")->capture_default_str();
  cmd->add_option("--config", common.config_file, "configuration file (TOML)");
  cmd->add_option("--set", common.overrides, "override a configuration key: section.key=value");
}

}  // namespace ximssd::server
