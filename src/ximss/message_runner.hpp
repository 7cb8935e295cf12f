// Running XIMSS messages for a transport: the part every door (TCP, WebSocket, an HTTP batch)
// shares. A request of a logged-in session runs inside the session's gate, so that requests
// arriving through different doors (an HTTP session URL beside a TCP connection) never interleave.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <pugixml.hpp>

#include <string>
#include <string_view>

#include "base/error.hpp"
#include "ximss/context.hpp"
#include "ximss/request.hpp"

namespace ximssd::ximss {

// What became of one message.
enum class RunOutcome { executed, protocol_error };

// Parses `text` (one XIMSS message, terminator removed), runs it and writes its output to `out`.
// Malformed XML or a missing id is answered with an error response (carrying the id when it can
// be read) and reported as a protocol error.
boost::asio::awaitable<RunOutcome> run_message(XimssContext& ctx, ConnectionState& state, std::string_view text,
                                               MessageOutput& out);

// Runs one already-parsed request element: checks its id, then executes it (inside the session's
// gate when `use_gate` and a session exists).
boost::asio::awaitable<RunOutcome> run_element(XimssContext& ctx, ConnectionState& state, pugi::xml_node element,
                                               MessageOutput& out, bool use_gate);

// Writes an error response for a message that could not be run.
void write_protocol_error(MessageOutput& out, ErrorCode code, const std::string& text, const std::string& id);

}  // namespace ximssd::ximss
