#include "smtp/smtp_syntax.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace ximssd::smtp {

namespace {

constexpr size_t kMaxAddress = 320;  // 64 for the local part, 255 for the domain, the "@"
constexpr size_t kMaxEnvid = 100;    // RFC 3461 section 4.4
constexpr size_t kMaxOrcpt = 500;    // RFC 3461 section 4.2

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool istarts(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequal(text.substr(0, prefix.size()), prefix);
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 5322 atext.
bool is_atext(char c) {
  return is_alpha(c) || is_digit(c) || (c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr);
}

[[noreturn]] void bad_address(const std::string& why) { throw SyntaxError(501, "5.1.3", "bad address syntax: " + why); }
[[noreturn]] void bad_parameter(const std::string& why) { throw SyntaxError(501, "5.5.4", why); }

bool is_dot_string(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!is_atext(s[i])) {
      return false;
    }
  }
  return true;
}

// Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str].
bool is_domain(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = std::min(s.find('.', start), s.size());
    std::string_view label = s.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (!is_alpha(label.front()) && !is_digit(label.front())) return false;
    if (!is_alpha(label.back()) && !is_digit(label.back())) return false;
    for (char c : label)
      if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
    start = dot + 1;
  }
  return true;
}

// "[" ... "]": an IPv4 address, "IPv6:..." or a general literal; only the characters are
// checked (dcontent), the address is not used for routing.
bool is_address_literal(std::string_view s) {
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
  for (char c : s.substr(1, s.size() - 2))
    if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\') return false;
  return true;
}

// Reads "<...>" at the start of `text`; returns the mailbox inside (empty for "<>" when
// `allow_null`) and leaves `text` after the ">".
std::string read_path(std::string_view& text, bool allow_null, bool allow_postmaster) {
  if (text.empty() || text.front() != '<') bad_address("the address must be in angle brackets");
  size_t pos = 1;
  // A source route ("@a,@b:") is accepted and ignored (RFC 5321 section 4.1.2).
  if (pos < text.size() && text[pos] == '@') {
    size_t colon = text.find(':', pos);
    if (colon == std::string_view::npos) bad_address("unterminated source route");
    pos = colon + 1;
  }
  std::string local;
  if (pos < text.size() && text[pos] == '"') {
    // Quoted-string: qtextSMTP or "\" followed by a printable character.
    local += '"';
    std::string inner;
    ++pos;
    for (;;) {
      if (pos >= text.size()) bad_address("unterminated quoted local part");
      char c = text[pos];
      if (c == '"') break;
      if (c == '\\') {
        if (pos + 1 >= text.size() || text[pos + 1] < 32 || text[pos + 1] > 126) bad_address("bad quoted pair");
        inner += text[pos + 1];
        pos += 2;
        continue;
      }
      if (c < 32 || c > 126) bad_address("bad character in the quoted local part");
      inner += c;
      ++pos;
    }
    ++pos;  // the closing quote
    // "john"@x is john@x: only a local part that needs quotes keeps them.
    if (is_dot_string(inner)) {
      local = inner;
    } else {
      for (char c : inner) {
        if (c == '"' || c == '\\') local += '\\';
        local += c;
      }
      local += '"';
    }
  } else {
    size_t start = pos;
    while (pos < text.size() && text[pos] != '@' && text[pos] != '>') ++pos;
    local = std::string(text.substr(start, pos - start));
    if (local.empty() && pos < text.size() && text[pos] == '>') {
      text.remove_prefix(pos + 1);
      if (!allow_null) bad_address("the null address is not allowed here");
      return {};
    }
    if (!is_dot_string(local)) bad_address("bad local part");
  }
  if (pos < text.size() && text[pos] == '>' && allow_postmaster && iequal(local, "postmaster")) {
    text.remove_prefix(pos + 1);
    return "Postmaster";
  }
  if (pos >= text.size() || text[pos] != '@') bad_address("missing @domain");
  size_t close = text.find('>', pos);
  if (close == std::string_view::npos) bad_address("missing >");
  std::string_view domain = text.substr(pos + 1, close - pos - 1);
  if (!is_domain(domain) && !is_address_literal(domain)) bad_address("bad domain");
  std::string address = local + "@" + std::string(domain);
  if (address.size() > kMaxAddress) bad_address("the address is too long");
  text.remove_prefix(close + 1);
  return address;
}

struct Parameter {
  std::string_view keyword;
  std::optional<std::string_view> value;
};

// Reads "keyword[=value]" parameters separated by spaces.
template <class F>
void for_each_parameter(std::string_view text, F&& each) {
  std::array<std::string, 8> seen;
  size_t seen_count = 0;
  while (!text.empty()) {
    if (text.front() != ' ') bad_parameter("expected a space before a parameter");
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    if (text.empty()) break;
    size_t end = std::min(text.find(' '), text.size());
    std::string_view item = text.substr(0, end);
    text.remove_prefix(end);
    Parameter p;
    size_t eq = item.find('=');
    p.keyword = item.substr(0, eq);
    if (eq != std::string_view::npos) p.value = item.substr(eq + 1);
    if (p.keyword.empty() || !(is_alpha(p.keyword[0]) || is_digit(p.keyword[0])))
      bad_parameter("bad parameter keyword");
    for (char c : p.keyword)
      if (!is_alpha(c) && !is_digit(c) && c != '-') bad_parameter("bad parameter keyword");
    if (p.value) {
      if (p.value->empty()) bad_parameter("empty value for " + std::string(p.keyword));
      for (char c : *p.value)
        if (c < 33 || c > 126 || c == '=') bad_parameter("bad value for " + std::string(p.keyword));
    }
    std::string upper;
    for (char c : p.keyword) upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    for (size_t i = 0; i < seen_count; ++i)
      if (seen[i] == upper) bad_parameter("parameter given twice: " + upper);
    if (seen_count == seen.size()) bad_parameter("too many parameters");
    seen[seen_count++] = upper;
    each(upper, p.value);
  }
}

std::string_view require_value(std::string_view keyword, const std::optional<std::string_view>& value) {
  if (!value) bad_parameter(std::string(keyword) + " needs a value");
  return *value;
}

[[noreturn]] void unknown_parameter(std::string_view keyword) {
  throw SyntaxError(555, "5.5.4", "unsupported parameter " + std::string(keyword));
}

// "FROM:" / "TO:" and optional spaces before the path (some clients send "FROM: <a@b>").
std::string_view after_keyword(std::string_view argument, std::string_view keyword, std::string_view usage) {
  if (!istarts(argument, keyword)) throw SyntaxError(501, "5.5.4", "syntax: " + std::string(usage));
  argument.remove_prefix(keyword.size());
  while (!argument.empty() && argument.front() == ' ') argument.remove_prefix(1);
  while (!argument.empty() && (argument.back() == ' ' || argument.back() == '\t')) argument.remove_suffix(1);
  return argument;
}

}  // namespace

CommandLine split_command(std::string_view line) {
  static constexpr std::pair<std::string_view, Verb> kVerbs[] = {
      {"HELO", Verb::helo}, {"EHLO", Verb::ehlo}, {"LHLO", Verb::lhlo}, {"MAIL", Verb::mail},
      {"RCPT", Verb::rcpt}, {"DATA", Verb::data}, {"RSET", Verb::rset}, {"NOOP", Verb::noop},
      {"QUIT", Verb::quit}, {"VRFY", Verb::vrfy}, {"EXPN", Verb::expn}, {"HELP", Verb::help},
      {"STARTTLS", Verb::starttls}, {"BDAT", Verb::bdat}, {"AUTH", Verb::auth},
  };
  CommandLine out;
  size_t space = std::min(line.find(' '), line.size());
  out.name = line.substr(0, space);
  out.argument = space < line.size() ? line.substr(space + 1) : std::string_view();
  while (!out.argument.empty() && out.argument.front() == ' ') out.argument.remove_prefix(1);
  for (const auto& [name, verb] : kVerbs)
    if (iequal(out.name, name)) out.verb = verb;
  return out;
}

std::string decode_xtext(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c < 33 || c > 126 || c == '=') bad_parameter("bad xtext");
    if (c != '+') {
      out += c;
      continue;
    }
    if (i + 2 >= text.size()) bad_parameter("bad xtext escape");
    int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
    if (hi < 0 || lo < 0) bad_parameter("bad xtext escape");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

MailFrom parse_mail_from(std::string_view argument) {
  std::string_view text = after_keyword(argument, "FROM:", "MAIL FROM:<address> [parameters]");
  MailFrom out;
  out.address = read_path(text, true, false);
  for_each_parameter(text, [&](const std::string& keyword, const std::optional<std::string_view>& value) {
    if (keyword == "SIZE") {
      std::string_view v = require_value(keyword, value);
      if (v.size() > 19 || !std::all_of(v.begin(), v.end(), is_digit)) bad_parameter("SIZE needs a number");
      uint64_t n = 0;
      for (char c : v) n = n * 10 + static_cast<uint64_t>(c - '0');
      out.size = n;
    } else if (keyword == "BODY") {
      std::string_view v = require_value(keyword, value);
      if (iequal(v, "8BITMIME")) out.eight_bit = true;
      else if (iequal(v, "7BIT")) out.eight_bit = false;
      else throw SyntaxError(501, "5.5.4", "BODY must be 7BIT or 8BITMIME");
    } else if (keyword == "RET") {
      std::string_view v = require_value(keyword, value);
      if (iequal(v, "FULL")) out.ret_full = true;
      else if (iequal(v, "HDRS")) out.ret_full = false;
      else bad_parameter("RET must be FULL or HDRS");
    } else if (keyword == "ENVID") {
      std::string_view v = require_value(keyword, value);
      if (v.size() > kMaxEnvid) bad_parameter("ENVID is too long");
      out.envid = decode_xtext(v);
    } else {
      unknown_parameter(keyword);
    }
  });
  return out;
}

RcptTo parse_rcpt_to(std::string_view argument) {
  std::string_view text = after_keyword(argument, "TO:", "RCPT TO:<address> [parameters]");
  RcptTo out;
  out.address = read_path(text, false, true);
  for_each_parameter(text, [&](const std::string& keyword, const std::optional<std::string_view>& value) {
    if (keyword == "NOTIFY") {
      std::string_view v = require_value(keyword, value);
      out.notify_failure = false;
      if (iequal(v, "NEVER")) return;
      for (;;) {
        size_t comma = v.find(',');
        std::string_view item = v.substr(0, comma);
        if (iequal(item, "SUCCESS")) out.notify_success = true;
        else if (iequal(item, "FAILURE")) out.notify_failure = true;
        else if (iequal(item, "DELAY")) out.notify_delay = true;
        else bad_parameter("NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY");
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
      }
    } else if (keyword == "ORCPT") {
      std::string_view v = require_value(keyword, value);
      if (v.size() > kMaxOrcpt) bad_parameter("ORCPT is too long");
      size_t semi = v.find(';');
      if (semi == std::string_view::npos || semi == 0 || semi + 1 == v.size())
        bad_parameter("ORCPT must be addr-type;address");
      out.orcpt = std::string(v.substr(0, semi + 1)) + decode_xtext(v.substr(semi + 1));
    } else {
      unknown_parameter(keyword);
    }
  });
  return out;
}

void DataDecoder::put(char c) {
  ++size_;
  if (size_ > max_size_) {
    if (!too_large_) std::string().swap(content_);
    too_large_ = true;
    return;
  }
  content_ += c;
}

size_t DataDecoder::feed(std::string_view input) {
  size_t i = 0;
  if (state_ == State::done) return 0;
  // Most bytes are in the middle of a line: copy runs without a CR at once.
  while (i < input.size()) {
    char c = input[i];
    switch (state_) {
      case State::middle: {
        size_t cr = input.find('\r', i);
        size_t end = cr == std::string_view::npos ? input.size() : cr;
        size_t run = end - i;
        if (run) {
          if (!too_large_ && size_ + run <= max_size_) {
            content_.append(input.data() + i, run);
            size_ += run;
          } else {
            for (size_t k = i; k < end; ++k) put(input[k]);
          }
          i = end;
          continue;
        }
        put(c);
        state_ = State::cr;
        break;
      }
      case State::line_start:
        if (c == '.') {
          state_ = State::dot;
        } else {
          put(c);
          state_ = c == '\r' ? State::cr : State::middle;
        }
        break;
      case State::dot:
        // A line starting with a dot: the dot is removed (RFC 5321 section 4.5.2), unless the
        // line is just ".", the end of the data.
        if (c == '\r') {
          state_ = State::dot_cr;
        } else {
          put(c);
          state_ = State::middle;
        }
        break;
      case State::dot_cr:
        if (c == '\n') {
          state_ = State::done;
          return i + 1;
        }
        put('\r');
        put(c);
        state_ = c == '\r' ? State::cr : State::middle;
        break;
      case State::cr:
        put(c);
        state_ = c == '\n' ? State::line_start : c == '\r' ? State::cr : State::middle;
        break;
      case State::done:
        return i;
    }
    ++i;
  }
  return i;
}

char* InputBuffer::prepare(size_t n) {
  compact();
  if (buffer_.size() < end_ + n) buffer_.resize(end_ + n);
  return buffer_.data() + end_;
}

void InputBuffer::feed(std::string_view bytes) {
  char* p = prepare(bytes.size());
  std::copy(bytes.begin(), bytes.end(), p);
  commit(bytes.size());
}

void InputBuffer::compact() {
  if (begin_ == 0) return;
  if (begin_ == end_) {
    begin_ = end_ = 0;
    return;
  }
  std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
}

std::optional<InputBuffer::Line> InputBuffer::next_line() {
  std::string_view pending(buffer_.data() + begin_, end_ - begin_);
  size_t lf = pending.find('\n');
  if (lf == std::string_view::npos) {
    if (pending.size() > max_line_) {
      // Drop the long line's bytes as they come; its end is reported once.
      discarding_ = true;
      begin_ = end_ = 0;
    }
    return std::nullopt;
  }
  std::string_view text = pending.substr(0, lf);
  begin_ += lf + 1;
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (discarding_ || text.size() > max_line_) {
    discarding_ = false;
    return Line{{}, true};
  }
  return Line{text, false};
}

void InputBuffer::feed(DataDecoder& decoder) {
  size_t used = decoder.feed(std::string_view(buffer_.data() + begin_, end_ - begin_));
  begin_ += used;
  if (begin_ == end_) begin_ = end_ = 0;
}

void InputBuffer::release_if_idle() {
  if (begin_ == end_ && !discarding_) {
    begin_ = end_ = 0;
    std::string().swap(buffer_);
  }
}

}  // namespace ximssd::smtp
