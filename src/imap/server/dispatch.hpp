// Runs one parsed command: finds its handler, checks the session's state, turns what the
// handler threw into the tagged NO or BAD, and adds the selected mailbox's untagged updates.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <exception>

#include "imap/server/command.hpp"

namespace ximssd::imap {

boost::asio::awaitable<void> dispatch(CommandContext& c);

// Sets the tagged completion for an exception a handler threw (SyntaxError → BAD, Failure → NO
// with the response code its error code maps to).
void complete_with_error(CommandContext& c, std::exception_ptr error);

}  // namespace ximssd::imap
