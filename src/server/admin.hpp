// The administration subcommands: domain add|list|remove, account add|list|remove|passwd, import.
// They work on the data directory directly and may run beside a live server.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace ximssd::server {

struct CommonOptions;
// Registers the subcommands on `app`; the chosen one sets `action`.
void add_admin_commands(CLI::App& app, CommonOptions& common, std::function<int()>& action);
// `import mbox|maildir SOURCE --account A --mailbox M` (import_command.cpp).
void add_import_command(CLI::App& app, CommonOptions& common, std::function<int()>& action);

}  // namespace ximssd::server
