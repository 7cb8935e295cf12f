#include "imap/server/mailbox_names.hpp"

#include "base/text.hpp"
#include "imap/mutf7.hpp"

namespace ximssd::imap {

std::string name_from_wire(std::string_view wire) {
  auto decoded = decode_mutf7(wire);
  if (!decoded) throw SyntaxError("mailbox name is not valid modified UTF-7", 0);
  std::string name = std::move(*decoded);
  // INBOX is case-insensitive, also as the first level of a hierarchy.
  if (name.size() >= 5 && iequals(std::string_view(name).substr(0, 5), "INBOX") &&
      (name.size() == 5 || name[5] == kDelimiter))
    name.replace(0, 5, "INBOX");
  return name;
}

std::string name_to_wire(std::string_view name) { return encode_mutf7(name); }

std::string read_mailbox(ArgumentReader& args) { return name_from_wire(args.astring()); }

}  // namespace ximssd::imap
