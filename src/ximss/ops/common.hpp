// Pieces shared by several operation files.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>

#include "mime/compose.hpp"
#include "ximss/request.hpp"

namespace ximssd::ximss::ops {

// The domain the request addresses: its `domain` attribute (which then becomes the
// connection's target domain), else the target chosen earlier, else the default domain.
// Throws notFound for an unknown domain.
std::string target_domain(Request& r);

// XIMSS over HTTP's logins, whose credentials come in the login URL rather than a request:
// a password, or a CRAM-MD5 digest over a nonce listFeatures handed out. Like `login`, they
// create the session (r.conn.session) and write its `session` message, or throw.
boost::asio::awaitable<void> login_cleartext(Request& r, std::string user, std::string password);
boost::asio::awaitable<void> login_cram_nonce(Request& r, std::string user, std::string nonce,
                                              std::string_view auth_data);

// Writes the `session` data message describing the request's session.
void write_session_message(Request& r);

// The session's account, as the mailbox and message services know it.
mail::Actor actor_of(const Request& r);
mail::Actor actor_of(const Session& session);

// The attribute as a non-negative number; throws Failure(badRequest) when absent or not one.
int64_t number_attr(const Request& r, const char* name);

// The session's Folder View the request's `folder` attribute names; notFound when none.
mail::FolderView& folder_view(Request& r);

// How this session composes messages: parts from its uploaded-file set, copyMIME from the
// messages of its Folder Views (with the rights they need), IDs for this server.
mime::ComposeOptions compose_options(Request& r);

// The account's setting, or the fallback when unset.
std::string account_setting(Request& r, const char* key, std::string fallback);

}  // namespace ximssd::ximss::ops
