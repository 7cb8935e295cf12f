#include "imap/server/imap_flags.hpp"

#include "imap/command_parser.hpp"
#include "base/text.hpp"
#include "mail/message_flags.hpp"

namespace ximssd::imap {

namespace {

struct Named {
  const char* name;
  uint32_t bit;
};
constexpr Named kNamed[] = {
    {"\\Answered", mail::kAnswered}, {"\\Flagged", mail::kFlagged}, {"\\Deleted", mail::kDeleted},
    {"\\Seen", mail::kSeen},         {"\\Draft", mail::kDraft},     {"$Junk", mail::kJunk},
    {"$MDNSent", mail::kMdnSent},
};

}  // namespace

uint32_t imap_flag_mask() {
  uint32_t mask = 0;
  for (const auto& n : kNamed) mask |= n.bit;
  return mask;
}

void append_flag_list(std::string& out, uint32_t bits, std::string_view keywords, bool recent) {
  out += '(';
  size_t start = out.size();
  auto sep = [&] {
    if (out.size() > start) out += ' ';
  };
  for (const auto& n : kNamed)
    if (bits & n.bit) {
      sep();
      out += n.name;
    }
  if (recent) {
    sep();
    out += "\\Recent";
  }
  if (!keywords.empty()) {
    sep();
    out += keywords;
  }
  out += ')';
}

ParsedFlags parse_flags(const std::vector<std::string>& flags) {
  ParsedFlags out;
  for (const auto& f : flags) {
    bool known = false;
    for (const auto& n : kNamed)
      if (iequals(f, n.name)) {
        out.bits |= n.bit;
        known = true;
        break;
      }
    if (known || iequals(f, "\\Recent")) continue;
    if (!f.empty() && f[0] == '\\') throw SyntaxError("unknown system flag " + f, 0);
    bool duplicate = false;
    for (const auto& k : out.keywords) duplicate = duplicate || iequals(k, f);
    if (!duplicate) out.keywords.push_back(f);
  }
  return out;
}

std::string defined_flags_text() { return "(\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk $MDNSent)"; }

std::string permanent_flags_text(bool writable) {
  return writable ? "(\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk $MDNSent \\*)" : "()";
}

}  // namespace ximssd::imap
