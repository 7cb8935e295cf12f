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

FlagEdit parse_flag_edits(std::string_view list) {
  FlagEdit edit;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string name = trim_whitespace(list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (!name.empty()) {
      if (auto bit = flag_bit(name)) {
        edit.set |= *bit;
      } else if (name.size() > 2 && iequals(name.substr(0, 2), "Un") && flag_bit(name.substr(2))) {
        edit.clear |= *flag_bit(name.substr(2));
      } else {
        throw Failure(ErrorCode::badRequest, "unknown flag: " + name);
      }
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return edit;
}

}  // namespace ximssd::mail
