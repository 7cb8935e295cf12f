// ximssd: a messaging server speaking XIMSS. `ximssd [serve]` runs it; `ximssd domain ...` and
// `ximssd account ...` administer the data directory.
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "base/error.hpp"
#include "base/log.hpp"
#include "server/admin.hpp"
#include "server/common_options.hpp"
#include "server/serve.hpp"

int main(int argc, char** argv) {
  using namespace ximssd::server;
  if (sodium_init() < 0) {
    std::cerr << "ximssd: cannot initialise libsodium\n";
    return 1;
  }
  CLI::App app{"ximssd: XIMSS messaging server"};
  app.footer("Configuration keys (--set key=value, or in the TOML file):\n" + describe_config_keys());
  CommonOptions common;
  std::function<int()> action;

  auto* serve_cmd = app.add_subcommand("serve", "run the server (the default)");
  add_common(serve_cmd, common);
  add_common(&app, common);  // `ximssd --data DIR` alone also serves
  add_admin_commands(app, common, action);
  add_import_command(app, common, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (action) {
      ximssd::init_logging("warn");
      return action();
    }
    auto config = common.load();
    ximssd::init_logging(config.log_level);
    return serve(config);
  } catch (const ximssd::Failure& e) {
    std::cerr << "ximssd: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "ximssd: " << e.what() << "\n";
    return 1;
  }
}
