// Mailbox names between the wire (modified UTF-7, RFC 3501 section 5.1.3) and the store (UTF-8,
// '/'-separated, "INBOX" in capitals).
#pragma once

#include <string>
#include <string_view>

#include "imap/command_parser.hpp"

namespace ximssd::imap {

inline constexpr char kDelimiter = '/';

// The store's name for a wire name; throws SyntaxError when it is not valid modified UTF-7.
std::string name_from_wire(std::string_view wire);
// The wire form of a store name.
std::string name_to_wire(std::string_view name);
// Reads a mailbox argument (astring) and converts it.
std::string read_mailbox(ArgumentReader& args);

}  // namespace ximssd::imap
