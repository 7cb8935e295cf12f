#include "mail/mailbox_name.hpp"

#include <algorithm>
#include <vector>

#include "base/error.hpp"
#include "base/text.hpp"

namespace ximssd::mail {

namespace {
[[noreturn]] void bad_name(const std::string& why) { throw Failure(ErrorCode::badRequest, "invalid mailbox name: " + why); }
}  // namespace

std::string canonical_mailbox_name(std::string_view name) {
  if (name.empty()) bad_name("empty");
  if (name.size() > kMaxMailboxNameBytes) bad_name("longer than " + std::to_string(kMaxMailboxNameBytes) + " bytes");
  if (!is_valid_utf8(name)) bad_name("not UTF-8");
  if (name.front() == '~') bad_name("'~' starts another account's name");
  size_t start = 0;
  for (;;) {
    size_t slash = name.find('/', start);
    std::string_view part = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty()) bad_name("empty component");
    if (part == "." || part == "..") bad_name("'.' and '..' are not allowed");
    if (part.size() > kMaxMailboxComponentBytes) bad_name("a component is longer than 255 bytes");
    for (char c : part) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) bad_name("control character");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string out(name);
  // INBOX is case-insensitive, also as the first component of a longer name.
  std::string_view first = name.substr(0, name.find('/'));
  if (iequals(first, "INBOX")) out.replace(0, first.size(), "INBOX");
  return out;
}

std::optional<ForeignName> split_foreign_name(std::string_view name) {
  if (name.empty() || name.front() != '~') return std::nullopt;
  name.remove_prefix(1);
  size_t slash = name.find('/');
  std::string_view address = name.substr(0, slash);
  ForeignName out;
  auto [user, domain] = split_address(address);
  out.account = ascii_lower(user);
  out.domain = ascii_lower(domain);
  if (slash != std::string_view::npos) out.mailbox = std::string(name.substr(slash + 1));
  return out;
}

bool mailbox_pattern_matches(std::string_view pattern, std::string_view name) {
  // Dynamic programming over the pattern (O(pattern x name), no backtracking blow-up):
  // can[i] is true when pattern[0..i) matches the part of the name read so far.
  std::vector<char> can(pattern.size() + 1, 0), next(pattern.size() + 1, 0);
  can[0] = 1;
  for (size_t i = 0; i < pattern.size() && (pattern[i] == '*' || pattern[i] == '%'); ++i) can[i + 1] = 1;
  for (char c : name) {
    std::fill(next.begin(), next.end(), 0);
    for (size_t i = 0; i < pattern.size(); ++i) {
      char p = pattern[i];
      if (p == '*' || (p == '%' && c != '/')) {
        // The wildcard takes this character (and may go on taking more).
        if (can[i] || can[i + 1]) next[i + 1] = 1;
      } else if (p == c && can[i]) {
        next[i + 1] = 1;
      }
    }
    // A wildcard may also match nothing after the character just read.
    for (size_t i = 0; i < pattern.size(); ++i)
      if ((pattern[i] == '*' || pattern[i] == '%') && next[i]) next[i + 1] = 1;
    std::swap(can, next);
  }
  return can[pattern.size()] != 0;
}

std::string parent_mailbox_name(std::string_view name) {
  size_t slash = name.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(name.substr(0, slash));
}

bool is_same_or_below(std::string_view name, std::string_view ancestor) {
  if (name.size() < ancestor.size() || name.substr(0, ancestor.size()) != ancestor) return false;
  return name.size() == ancestor.size() || name[ancestor.size()] == '/';
}

}  // namespace ximssd::mail
