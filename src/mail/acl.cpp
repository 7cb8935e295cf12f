#include "mail/acl.hpp"

#include "base/error.hpp"
#include "base/text.hpp"
#include "mail/names.hpp"

namespace ximssd::mail {

namespace {

constexpr std::string_view kLetters = "lrswipkxtea";

Rights letter_rights(char c) {
  if (c == 'c') return right::create;
  if (c == 'd') return right::delete_box | right::delete_msg | right::expunge;
  auto at = kLetters.find(c);
  if (at == std::string_view::npos) return 0;
  return Rights{1} << at;
}

}  // namespace

Rights parse_rights(std::string_view letters) {
  Rights rights = 0;
  for (char c : letters) {
    Rights r = letter_rights(c);
    if (!r) throw Failure(ErrorCode::badRequest, std::string("unknown access right '") + c + "'");
    rights |= r;
  }
  return rights;
}

std::string rights_text(Rights rights) {
  std::string out;
  for (size_t i = 0; i < kLetters.size(); ++i)
    if (rights & (Rights{1} << i)) out += kLetters[i];
  if ((rights & letter_rights('c')) == letter_rights('c')) out += 'c';
  if ((rights & letter_rights('d')) == letter_rights('d')) out += 'd';
  return out;
}

std::string updated_rights_text(std::string_view current, std::string_view mode, std::string_view given) {
  parse_rights(given);  // validates the letters
  std::string out;
  if (mode == "add") {
    out = current;
    for (char c : given)
      if (out.find(c) == std::string::npos) out += c;
    return out;
  }
  if (mode == "sub") {
    Rights removed = parse_rights(given);
    for (char c : current) {
      Rights r = letter_rights(c);
      if (!(r & removed)) {
        out += c;
        continue;
      }
      // An RFC 2086 letter of which only part is removed leaves its other rights.
      for (size_t i = 0; i < kLetters.size(); ++i) {
        Rights bit = Rights{1} << i;
        if ((r & bit) && !(removed & bit) && out.find(kLetters[i]) == std::string::npos) out += kLetters[i];
      }
    }
    return out;
  }
  for (char c : given)
    if (out.find(c) == std::string::npos) out += c;
  return out;
}

void check_acl_pattern(std::string_view pattern) {
  std::string_view p = pattern;
  if (!p.empty() && p.front() == '-') p.remove_prefix(1);
  if (p.empty()) throw Failure(ErrorCode::badRequest, "empty ACL identifier");
  if (iequals(p, "anyone")) return;
  auto [name, domain] = split_address(p);
  try {
    check_account_name(name);
    if (!domain.empty()) check_domain_name(domain);
  } catch (const Failure&) {
    throw Failure(ErrorCode::badRequest, "invalid ACL identifier: " + std::string(pattern));
  }
}

Rights effective_rights(const Identity& who, const Identity& owner, const std::vector<store::AclEntry>& acl) {
  if (who.name == owner.name && who.domain == owner.domain) return right::all;
  Rights granted = 0, denied = 0;
  for (const auto& entry : acl) {
    std::string_view p = entry.pattern;
    bool negative = !p.empty() && p.front() == '-';
    if (negative) p.remove_prefix(1);
    bool matches = false;
    if (iequals(p, "anyone")) {
      matches = true;
    } else {
      auto [name, domain] = split_address(p);
      if (domain.empty()) domain = owner.domain;
      matches = iequals(name, who.name) && iequals(domain, who.domain);
    }
    if (!matches) continue;
    Rights r = 0;
    try {
      r = parse_rights(entry.rights);
    } catch (const Failure&) {
      continue;  // letters are validated on write; ignore anything else
    }
    (negative ? denied : granted) |= r;
  }
  return granted & ~denied;
}

std::vector<std::string> acl_patterns_for(const Identity& who) {
  return {"anyone", who.name, who.name + "@" + who.domain};
}

}  // namespace ximssd::mail
