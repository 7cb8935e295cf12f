#include "server/first_start.hpp"

#include <unistd.h>

#include <iostream>

#include "base/random.hpp"
#include "base/text.hpp"
#include "store/records.hpp"

namespace ximssd::server {

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "localhost";
  return ascii_lower(buf);
}

std::string ensure_default_domain(const Config& config, mail::AccountService& accounts) {
  auto& db = accounts.database();
  std::string domain = config.default_domain;
  if (domain.empty()) domain = db.reader().server_setting("default_domain").value_or("");
  if (domain.empty()) domain = host_name();
  domain = ascii_lower(domain);
  if (!accounts.find_domain(domain)) {
    accounts.add_domain(domain, false);
    std::string password = random_alnum(16);
    accounts.add_account(mail::NewAccount{"postmaster", domain, password, "Postmaster", ""});
    std::cout << "ximssd: created domain " << domain << "\n"
              << "ximssd: postmaster@" << domain << " password: " << password << "  (shown only this once)\n"
              << std::flush;
  }
  db.write_now([&](store::Repository& repo) { repo.set_server_setting("default_domain", domain); });
  return domain;
}

}  // namespace ximssd::server
