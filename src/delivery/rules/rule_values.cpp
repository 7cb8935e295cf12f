#include "delivery/rules/rule_values.hpp"

#include <array>

#include "base/text.hpp"

namespace ximssd::delivery::rule_values {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int digits_value(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

constexpr std::array<std::string_view, 7> kWeekdays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};

}  // namespace

bool wildcard_match(std::string_view pattern, std::string_view text) {
  // Greedy matching with one backtrack point (the last '*'): linear for the usual patterns.
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (p < pattern.size() && lower(pattern[p]) == lower(text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> out;
  while (true) {
    size_t comma = list.find(',');
    std::string item = trim_whitespace(list.substr(0, comma));
    if (!item.empty()) out.push_back(std::move(item));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<uint64_t> parse_size(std::string_view text) {
  std::string s = trim_whitespace(text);
  uint64_t unit = 1;
  if (!s.empty()) {
    switch (lower(s.back())) {
      case 'k': unit = 1024; break;
      case 'm': unit = 1024 * 1024; break;
      case 'g': unit = 1024ull * 1024 * 1024; break;
      default: break;
    }
    if (unit != 1) s.pop_back();
  }
  if (!all_digits(s) || s.size() > 12) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v * unit;
}

std::optional<int> parse_date(std::string_view text) {
  std::string s = trim_whitespace(text);
  std::string digits;
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
    digits = s.substr(0, 4) + s.substr(5, 2) + s.substr(8, 2);
  } else if (s.size() == 8 || (s.size() >= 15 && s[8] == 'T')) {
    digits = s.substr(0, 8);
  } else {
    return std::nullopt;
  }
  if (!all_digits(digits)) return std::nullopt;
  int month = digits_value(digits.substr(4, 2)), day = digits_value(digits.substr(6, 2));
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  return digits_value(digits);
}

std::optional<int> parse_time_of_day(std::string_view text) {
  std::string s = trim_whitespace(text);
  if (s.size() != 5 && s.size() != 8) return std::nullopt;
  if (s[2] != ':' || (s.size() == 8 && s[5] != ':')) return std::nullopt;
  std::string_view hh(s.data(), 2), mm(s.data() + 3, 2);
  std::string_view ss = s.size() == 8 ? std::string_view(s.data() + 6, 2) : std::string_view("00");
  if (!all_digits(hh) || !all_digits(mm) || !all_digits(ss)) return std::nullopt;
  int h = digits_value(hh), m = digits_value(mm), sec = digits_value(ss);
  if (h > 23 || m > 59 || sec > 59) return std::nullopt;
  return h * 3600 + m * 60 + sec;
}

std::optional<int> parse_weekday(std::string_view text) {
  std::string s = trim_whitespace(text);
  for (int i = 0; i < 7; ++i)
    if (iequals(s, kWeekdays[i]) || iequals(s, kWeekdays[i].substr(0, 3))) return i;
  return std::nullopt;
}

std::string_view weekday_name(int weekday) { return kWeekdays[static_cast<size_t>(weekday % 7)]; }

bool is_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (c <= 32 || c >= 127 || c == ':') return false;
  return true;
}

std::optional<HeaderParameter> parse_header_parameter(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  HeaderParameter out{trim_whitespace(text.substr(0, colon)), trim_whitespace(text.substr(colon + 1))};
  if (!is_field_name(out.name)) return std::nullopt;
  return out;
}

std::optional<std::string> canonical_mark(std::string_view name) {
  static constexpr std::array<std::string_view, 11> kFlags = {
      "Seen", "Answered", "Flagged", "Deleted", "Draft", "Media", "Redirected", "MDNSent", "Hidden", "Service", "Junk"};
  std::string s = trim_whitespace(name);
  if (iequals(s, "Read")) return std::string("Seen");
  for (auto flag : kFlags)
    if (iequals(s, flag)) return std::string(flag);
  std::string_view label = s;
  if (!label.empty() && label.front() == '$') label.remove_prefix(1);
  if (label.size() == 6 && iequals(label.substr(0, 5), "Label") && label[5] >= '1' && label[5] <= '7')
    return "$Label" + std::string(1, label[5]);
  return std::nullopt;
}

std::optional<std::vector<std::string>> parse_address_list(std::string_view list) {
  auto items = split_list(list);
  if (items.empty()) return std::nullopt;
  for (const auto& item : items) {
    size_t at = item.find('@');
    if (at == 0 || at == std::string::npos || at + 1 == item.size() || item.find('@', at + 1) != std::string::npos)
      return std::nullopt;
    for (unsigned char c : item)
      if (c <= 32 || c == '<' || c == '>' || c == '"' || c == '(' || c == ')' || c == 127) return std::nullopt;
  }
  return items;
}

}  // namespace ximssd::delivery::rule_values
