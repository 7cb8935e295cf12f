// The single table from request element name to handler, and the code that runs one request:
// access checks (before/after login), the handler, error mapping and the final `response`.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <span>
#include <string_view>

#include "ximss/request.hpp"

namespace ximssd::ximss {

using Handler = boost::asio::awaitable<void> (*)(Request&);

enum class Access {
  anytime,        // before and after login (noop, bye, readStrings, auth)
  before_login,   // only before login (login, signup, starttls, ...)
  in_session,     // only in a logged-in session
};

struct Operation {
  std::string_view name;
  Handler handler;
  Access access;
};

// Each area of the protocol lists its operations in its own ops/*.cpp file.
std::span<const Operation> prelogin_operations();
std::span<const Operation> login_operations();
std::span<const Operation> session_operations();
std::span<const Operation> mailbox_operations();
std::span<const Operation> message_operations();
std::span<const Operation> folder_operations();
std::span<const Operation> rule_operations();
std::span<const Operation> submit_operations();

const Operation* find_operation(std::string_view name);

// Runs the request and writes its response (unless the handler suspended it for SASL).
boost::asio::awaitable<void> execute(Request& request);

}  // namespace ximssd::ximss
