// What every admin subcommand opens: the configuration and the store of the data directory,
// without a writer thread (writes commit on the calling thread, beside a live server if any).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "base/text.hpp"
#include "mail/account_service.hpp"
#include "server/common_options.hpp"
#include "server/config.hpp"
#include "server/first_start.hpp"
#include "store/store.hpp"

namespace ximssd::server {

struct AdminStore {
  explicit AdminStore(const CommonOptions& common)
      : config(common.load()),
        store((std::filesystem::create_directories(config.data_dir),
               store::Store::open(store_options(config), false))),
        accounts(*store, config.hash_cost, nullptr) {}
  // "name@domain", or "name" in the default domain, in lower case.
  std::pair<std::string, std::string> address(const std::string& text) {
    auto [name, domain] = split_address(text);
    if (domain.empty()) domain = ensure_default_domain(config, accounts);
    return {ascii_lower(name), ascii_lower(domain)};
  }
  Config config;
  std::unique_ptr<store::Store> store;
  mail::AccountService accounts;
};

}  // namespace ximssd::server
