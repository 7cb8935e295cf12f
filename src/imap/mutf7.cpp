#include "imap/mutf7.hpp"

#include <cstdint>
#include <vector>

namespace ximssd::imap {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int alphabet_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

bool is_direct(unsigned char c) { return c >= 0x20 && c <= 0x7e; }

// The next code point of `text` at `i` (advanced); U+FFFD for an invalid sequence.
char32_t next_code_point(std::string_view text, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (length == 0 || i + length > text.size()) {
    ++i;
    return 0xfffd;
  }
  char32_t cp = length == 1 ? c : c & (0x7f >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) {
      ++i;
      return 0xfffd;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  i += length;
  if (cp < kMin[length] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0xfffd;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// A run of UTF-16 units in modified base64 between '&' and '-'.
void append_shifted(std::string& out, const std::vector<uint16_t>& units) {
  out.push_back('&');
  uint32_t bits = 0;
  int count = 0;
  for (uint16_t unit : units) {
    bits = (bits << 16) | unit;
    count += 16;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> count) & 0x3f]);
    }
  }
  if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 0x3f]);
  out.push_back('-');
}

}  // namespace

std::string encode_mutf7(std::string_view utf8) {
  std::string out;
  std::vector<uint16_t> pending;
  size_t i = 0;
  while (i < utf8.size()) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (is_direct(c)) {
      if (!pending.empty()) {
        append_shifted(out, pending);
        pending.clear();
      }
      if (c == '&') out += "&-";
      else out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    char32_t cp = next_code_point(utf8, i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      pending.push_back(static_cast<uint16_t>(0xd800 + (cp >> 10)));
      pending.push_back(static_cast<uint16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      pending.push_back(static_cast<uint16_t>(cp));
    }
  }
  if (!pending.empty()) append_shifted(out, pending);
  return out;
}

std::optional<std::string> decode_mutf7(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (!is_direct(c)) return std::nullopt;
    if (c != '&') {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    size_t end = text.find('-', i + 1);
    if (end == std::string_view::npos) return std::nullopt;
    if (end == i + 1) {  // "&-" is "&"
      out.push_back('&');
      i = end + 1;
      continue;
    }
    uint32_t bits = 0;
    int count = 0;
    char16_t high = 0;
    bool any_direct = true;  // a shift must hold at least one character that needed it
    for (size_t k = i + 1; k < end; ++k) {
      int v = alphabet_value(text[k]);
      if (v < 0) return std::nullopt;
      bits = (bits << 6) | static_cast<uint32_t>(v);
      count += 6;
      if (count < 16) continue;
      count -= 16;
      auto unit = static_cast<char16_t>((bits >> count) & 0xffff);
      bits &= (1u << count) - 1;
      if (high) {
        if (unit < 0xdc00 || unit > 0xdfff) return std::nullopt;
        append_utf8(out, 0x10000 + ((static_cast<char32_t>(high) - 0xd800) << 10) + (unit - 0xdc00));
        high = 0;
      } else if (unit >= 0xd800 && unit <= 0xdbff) {
        high = unit;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) {
        return std::nullopt;
      } else {
        if (is_direct(static_cast<unsigned char>(unit < 0x80 ? unit : 0))) return std::nullopt;
        append_utf8(out, unit);
      }
      any_direct = false;
    }
    // Leftover bits must be fewer than a unit and zero; a pair must be whole.
    if (high || count >= 6 || bits != 0 || any_direct) return std::nullopt;
    i = end + 1;
  }
  return out;
}

}  // namespace ximssd::imap
