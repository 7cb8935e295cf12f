// SMTP/LMTP input on arbitrary bytes: the bytes are framed into command lines (whole and in
// pieces, which must give the same lines), each line is split into a verb and parsed as MAIL FROM
// and RCPT TO (a parse either succeeds or throws SyntaxError with a 4xx/5xx code), and the bytes
// are decoded as DATA, whole and in pieces, with the same result.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/smtp_syntax.hpp"

using namespace ximssd::smtp;

namespace {

constexpr size_t kMaxLine = 256;

void check_error(const SyntaxError& e) {
  if (e.code() < 400 || e.code() > 599 || e.enhanced().size() != 5) __builtin_trap();
}

void parse_line(std::string_view line) {
  CommandLine c = split_command(line);
  if (c.name.size() > line.size() || c.argument.size() > line.size()) __builtin_trap();
  try {
    MailFrom m = parse_mail_from(c.argument);
    if (m.address.size() > 330 || m.envid.size() > 100) __builtin_trap();
  } catch (const SyntaxError& e) {
    check_error(e);
  }
  try {
    RcptTo r = parse_rcpt_to(c.argument);
    if (r.address.empty()) __builtin_trap();
  } catch (const SyntaxError& e) {
    check_error(e);
  }
  try {
    (void)decode_xtext(c.argument);
  } catch (const SyntaxError& e) {
    check_error(e);
  }
}

std::vector<std::string> lines(InputBuffer& in) {
  std::vector<std::string> out;
  while (auto line = in.next_line()) {
    if (line->too_long) {
      out.push_back("<too long>");
      continue;
    }
    if (line->text.size() > kMaxLine) __builtin_trap();
    parse_line(line->text);
    out.emplace_back(line->text);
  }
  return out;
}

struct Decoded {
  bool done;
  bool too_large;
  uint64_t size;
  size_t used;
  std::string content;
  bool operator==(const Decoded&) const = default;
};

Decoded decode(std::string_view input, size_t piece, uint64_t limit) {
  DataDecoder d(limit);
  size_t used = 0;
  for (size_t pos = 0; pos < input.size() && !d.done(); pos += piece) {
    std::string_view part = input.substr(pos, piece);
    size_t n = d.feed(part);
    if (n > part.size() || (n < part.size() && !d.done())) __builtin_trap();
    used += n;
  }
  Decoded out{d.done(), d.too_large(), d.size(), used, d.take()};
  if (out.content.size() > limit || (out.too_large && !out.content.empty())) __builtin_trap();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  InputBuffer whole(kMaxLine);
  whole.feed(input);
  std::vector<std::string> expected = lines(whole);

  InputBuffer pieces(kMaxLine);
  std::vector<std::string> got;
  for (size_t pos = 0; pos < input.size();) {
    size_t n = std::min<size_t>(input.size() - pos, 1 + static_cast<uint8_t>(input[pos]) % 16);
    pieces.feed(input.substr(pos, n));
    pos += n;
    for (auto& line : lines(pieces)) got.push_back(std::move(line));
    if (pieces.buffered() > kMaxLine + 16) __builtin_trap();
    pieces.release_if_idle();
  }
  if (got != expected) __builtin_trap();

  uint64_t limit = size ? static_cast<uint8_t>(input[0]) * 4 : 0;
  Decoded all = decode(input, input.size() + 1, limit);
  for (size_t piece : {1, 2, 7})
    if (!(decode(input, piece, limit) == all)) __builtin_trap();
  return 0;
}
