// One IMAP command as its handler sees it: the services, the session, the arguments, where to
// write untagged responses, and the tagged completion the handler chooses. Handlers throw
// Failure for NO and SyntaxError for BAD (see command_errors.hpp); the connection writes the
// tagged line and, when a mailbox is selected, the untagged updates before it.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "imap/command_parser.hpp"
#include "imap/server/imap_context.hpp"
#include "imap/server/imap_session.hpp"

namespace ximssd::imap {

struct CommandContext {
  ImapContext& ctx;
  ImapSession& session;
  std::string tag;
  std::string name;  // uppercase; "UID FETCH" for UID commands
  ArgumentReader args;
  std::string& out;  // untagged responses and continuation requests, in order
  // Wakes the connection when a selected mailbox changes (IDLE); set by the connection.
  std::function<void()> wake;
  // Hands what is in `out` to the connection now and waits while too much is unsent (a long
  // FETCH sends as it goes); set by the connection.
  std::function<boost::asio::awaitable<void>(std::string& out)> flush;

  // The tagged completion; handlers change it when OK is not the answer or carries a code.
  std::string status = "OK";
  std::string code;  // response code without brackets ("APPENDUID 1 2")
  std::string text;  // empty: "<NAME> completed"
  bool respond = true;  // false while the command goes on (AUTHENTICATE, IDLE)
  // The command refers to messages by sequence number: no EXPUNGE may follow it.
  bool uses_sequence_numbers = false;
  enum class After { nothing, close, start_tls, compress } after = After::nothing;

  bool uid() const { return name.starts_with("UID "); }
  void untagged(std::string_view line) {
    out += "* ";
    out += line;
    out += "\r\n";
  }
  mail::Actor& actor() { return session.actor; }
  SelectedMailbox& selected() { return *session.selected; }
};

// Handlers that wait (for a durable write, the blocking pool) are coroutines; the others are
// plain functions, which keeps their many temporaries out of coroutine frames.
using CommandHandler = boost::asio::awaitable<void> (*)(CommandContext&);
using PlainHandler = void (*)(CommandContext&);

// In which states a command is valid (RFC 3501 section 6).
enum StateMask : unsigned {
  kNotAuthenticated = 1,
  kAuthenticated = 2,
  kSelected = 4,
  kAnyState = 7,
  kLoggedIn = kAuthenticated | kSelected,
};

struct CommandSpec {
  std::string_view name;
  CommandHandler handler;  // one of these two
  PlainHandler plain;
  unsigned states;
};

// The commands of each area (commands/*.cpp).
std::span<const CommandSpec> session_commands();   // CAPABILITY NOOP LOGOUT STARTTLS LOGIN AUTHENTICATE ID ENABLE COMPRESS IDLE
std::span<const CommandSpec> mailbox_commands();   // SELECT EXAMINE CREATE DELETE RENAME (UN)SUBSCRIBE LIST LSUB STATUS NAMESPACE APPEND
std::span<const CommandSpec> message_commands();   // CHECK CLOSE UNSELECT EXPUNGE STORE COPY MOVE (and UID forms)
std::span<const CommandSpec> fetch_commands();     // FETCH, UID FETCH
std::span<const CommandSpec> search_commands();    // SEARCH SORT THREAD (and UID forms)
std::span<const CommandSpec> access_commands();    // ACL and QUOTA

// The capabilities to advertise in the session's state.
std::string capabilities(const ImapContext& ctx, const ImapSession& session);
// AUTHENTICATE's continuation: the client's response line to the exchange in progress.
boost::asio::awaitable<void> continue_authenticate(CommandContext& c, std::string_view line);

}  // namespace ximssd::imap
