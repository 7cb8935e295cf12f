#include "mail/message_flags.hpp"

#include <array>
#include <utility>

#include "base/error.hpp"
#include "base/text.hpp"

namespace ximssd::mail {

namespace {
constexpr std::array<std::pair<std::string_view, uint32_t>, 11> kFlags = {{
    {"Seen", kSeen},
    {"Answered", kAnswered},
    {"Flagged", kFlagged},
    {"Deleted", kDeleted},
    {"Draft", kDraft},
    {"Media", kMedia},
    {"Redirected", kRedirected},
    {"MDNSent", kMdnSent},
    {"Hidden", kHidden},
    {"Service", kService},
    {"Junk", kJunk},
}};
}  // namespace

std::optional<uint32_t> flag_bit(std::string_view name) {
  for (auto& [flag_name, bit] : kFlags)
    if (iequals(flag_name, name)) return bit;
  return std::nullopt;
}

std::string flag_names(uint32_t flags) {
  std::string out;
  for (auto& [name, bit] : kFlags) {
    if (!(flags & bit)) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

uint32_t parse_flag_list(std::string_view list) {
  uint32_t flags = 0;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty()) {
      auto bit = flag_bit(name);
      if (!bit) throw Failure(ErrorCode::badRequest, "unknown flag: " + std::string(name));
      flags |= *bit;
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return flags;
}

}  // namespace ximssd::mail
