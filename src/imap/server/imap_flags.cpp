#include "imap/server/imap_flags.hpp"

#include <algorithm>

#include "base/text.hpp"
#include "imap/command_parser.hpp"
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

namespace {

std::string keywords_in_use(const std::vector<std::string>& keyword_sets) {
  std::vector<std::string> seen;
  std::string out;
  for (const auto& set : keyword_sets) {
    size_t i = 0;
    while (i < set.size()) {
      size_t end = std::min(set.find(' ', i), set.size());
      std::string k = set.substr(i, end - i);
      bool dup = k.empty();
      for (const auto& s : seen) dup = dup || iequals(s, k);
      if (!dup && seen.size() < 256) {
        seen.push_back(k);
        out += ' ';
        out += k;
      }
      i = end + 1;
    }
  }
  return out;
}

}  // namespace

std::string defined_flags_text(const std::vector<std::string>& keyword_sets) {
  return "(\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk $MDNSent" + keywords_in_use(keyword_sets) + ")";
}

std::string permanent_flags_text(bool writable, const std::vector<std::string>& keyword_sets) {
  if (!writable) return "()";
  return "(\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk $MDNSent" + keywords_in_use(keyword_sets) + " \\*)";
}

}  // namespace ximssd::imap
