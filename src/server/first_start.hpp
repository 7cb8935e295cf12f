// First start: with no domains yet, create the default domain and its postmaster account with
// a random password, printed once. Also settles which domain is the default.
#pragma once

#include <string>

#include "mail/account_service.hpp"
#include "server/config.hpp"

namespace ximssd::server {

// The default domain: the configured one, else the one recorded at first start, else the
// host name. Creates it (with postmaster) when missing.
std::string ensure_default_domain(const Config& config, mail::AccountService& accounts);
std::string host_name();

}  // namespace ximssd::server
