#include "store/flag_edit.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace ximssd::store {

namespace {

std::vector<std::string> split_keywords(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    if (end > i) out.emplace_back(text.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

bool same_keyword(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

uint32_t edit_flags(uint32_t before, const FlagStore& edit) {
  switch (edit.mode) {
    case FlagStore::Mode::add: return before | edit.flags;
    case FlagStore::Mode::remove: return before & ~edit.flags;
    case FlagStore::Mode::replace: break;
  }
  return (before & ~edit.replaced) | (edit.flags & edit.replaced);
}

std::string edit_keywords(std::string_view stored, const FlagStore& edit) {
  std::vector<std::string> now = edit.mode == FlagStore::Mode::replace ? std::vector<std::string>{} : split_keywords(stored);
  auto has = [&](std::string_view k) {
    return std::find_if(now.begin(), now.end(), [&](const std::string& x) { return same_keyword(x, k); });
  };
  for (const auto& k : edit.keywords) {
    auto it = has(k);
    if (edit.mode == FlagStore::Mode::remove) {
      if (it != now.end()) now.erase(it);
    } else if (it == now.end()) {
      now.push_back(k);
    }
  }
  std::string out;
  for (const auto& k : now) {
    if (!out.empty()) out += ' ';
    out += k;
  }
  return out;
}

}  // namespace ximssd::store
