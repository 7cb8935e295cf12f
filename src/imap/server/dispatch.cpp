#include "imap/server/dispatch.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <unordered_map>

#include "mail/search/search_parser.hpp"

namespace ximssd::imap {

namespace {

const std::unordered_map<std::string_view, const CommandSpec*>& table() {
  static const auto built = [] {
    std::unordered_map<std::string_view, const CommandSpec*> t;
    for (auto area : {session_commands(), mailbox_commands(), message_commands(), fetch_commands(),
                      search_commands(), access_commands()})
      for (const auto& spec : area) t.emplace(spec.name, &spec);
    return t;
  }();
  return built;
}

unsigned state_bit(ImapState state) {
  switch (state) {
    case ImapState::not_authenticated:
      return kNotAuthenticated;
    case ImapState::authenticated:
      return kAuthenticated;
    case ImapState::selected:
      return kSelected;
    case ImapState::logout:
      return 0;
  }
  return 0;
}

const char* code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::notFound:
      return "NONEXISTENT";
    case ErrorCode::alreadyExists:
      return "ALREADYEXISTS";
    case ErrorCode::permissionDenied:
      return "NOPERM";
    case ErrorCode::authenticationFailed:
      return "AUTHENTICATIONFAILED";
    case ErrorCode::encryptionRequired:
      return "PRIVACYREQUIRED";
    case ErrorCode::limitExceeded:
      return "LIMIT";
    case ErrorCode::messageTooLarge:
      return "TOOBIG";
    case ErrorCode::unavailable:
      return "UNAVAILABLE";
    case ErrorCode::internal:
      return "SERVERBUG";
    default:
      return "CANNOT";
  }
}

}  // namespace

void complete_with_error(CommandContext& c, std::exception_ptr error) {
  c.respond = true;
  try {
    std::rethrow_exception(error);
  } catch (const SyntaxError& e) {
    c.status = "BAD";
    c.code.clear();
    c.text = e.what();
  } catch (const mail::search::UnknownCharset& e) {
    c.status = "NO";
    c.code = "BADCHARSET (UTF-8 US-ASCII)";
    c.text = e.what();
  } catch (const Failure& e) {
    c.status = "NO";
    if (c.code.empty()) c.code = code_for(e.code());
    if (e.code() == ErrorCode::limitExceeded && std::string_view(e.what()).find("quota") != std::string_view::npos)
      c.code = "OVERQUOTA";
    c.text = e.what();
  } catch (const std::exception& e) {
    spdlog::error("imap: {} failed: {}", c.name, e.what());
    c.status = "NO";
    c.code = "SERVERBUG";
    c.text = std::string("internal error: ") + e.what();
  }
}

boost::asio::awaitable<void> dispatch(CommandContext& c) {
  auto it = table().find(c.name);
  if (it == table().end()) {
    c.status = "BAD";
    c.text = "unknown command " + c.name;
    co_return;
  }
  const CommandSpec& spec = *it->second;
  if (!(spec.states & state_bit(c.session.state))) {
    c.status = "BAD";
    c.text = c.session.state == ImapState::not_authenticated ? c.name + " needs an authenticated session"
             : (spec.states & kSelected) && !(spec.states & kAuthenticated) ? c.name + " needs a selected mailbox"
             : c.name + " is not allowed now: already authenticated";
    co_return;
  }
  std::exception_ptr error;
  try {
    if (spec.plain) spec.plain(c);
    else co_await spec.handler(c);
  } catch (...) {
    error = std::current_exception();
  }
  if (error) complete_with_error(c, error);
  // Untagged updates of the selected mailbox go before the tagged response.
  if (c.respond && c.session.selected && c.after == CommandContext::After::nothing) {
    try {
      c.session.selected->sync(c.out, SyncOptions{!c.uses_sequence_numbers, c.session.condstore, c.session.qresync});
    } catch (const std::exception& e) {
      spdlog::warn("imap: mailbox update failed: {}", e.what());
    }
  }
}

}  // namespace ximssd::imap
