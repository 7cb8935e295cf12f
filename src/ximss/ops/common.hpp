// Pieces shared by several operation files.
#pragma once

#include <string>

#include "ximss/request.hpp"

namespace ximssd::ximss::ops {

// The domain the request addresses: its `domain` attribute (which then becomes the
// connection's target domain), else the target chosen earlier, else the default domain.
// Throws notFound for an unknown domain.
std::string target_domain(Request& r);

// Writes the `session` data message describing the request's session.
void write_session_message(Request& r);

// The session's account, as the mailbox and message services know it.
mail::Actor actor_of(const Request& r);

// The account's setting, or the fallback when unset.
std::string account_setting(Request& r, const char* key, std::string fallback);

}  // namespace ximssd::ximss::ops
