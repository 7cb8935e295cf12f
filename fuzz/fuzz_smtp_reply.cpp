// What the outbound queue reads from outside: SMTP replies from remote servers (line by line,
// multi-line, enhanced codes), message headers it takes fields from or removes fields of (DSN,
// MDN, the Bcc of a submitted message), and its own entry files (which a damaged disk may hand
// back as anything). Checks: a reply either parses with a code in 200..599 or throws; its
// Outcome's reply line has no line break; an entry that parses serializes and parses again to
// the same text; removing a field leaves the body untouched.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "delivery/queue/queue_entry.hpp"
#include "delivery/queue/report_text.hpp"
#include "delivery/smtp_reply.hpp"

using namespace ximssd::delivery;

namespace {

void replies(std::string_view input) {
  SmtpReply reply;
  size_t start = 0;
  while (start < input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = end + 1;
    bool complete = false;
    try {
      complete = add_reply_line(reply, line);
    } catch (const std::runtime_error&) {
      return;
    }
    if (reply.code < 200 || reply.code > 599) __builtin_trap();
    if (complete) {
      Outcome o = reply.outcome();
      std::string text = o.reply_line();
      if (text.find('\r') != std::string::npos || text.find('\n') != std::string::npos) __builtin_trap();
      if (o.enhanced.empty() || o.enhanced[0] - '0' != o.code / 100) __builtin_trap();
      reply = SmtpReply{};
    }
  }
}

void entries(std::string_view input) {
  auto entry = parse_entry(input);
  if (!entry) return;
  std::string text = serialize_entry(*entry);
  auto again = parse_entry(text);
  if (!again || serialize_entry(*again) != text) __builtin_trap();
}

void headers(std::string_view input) {
  std::string_view header = header_of(input);
  if (header.size() > input.size()) __builtin_trap();
  for (const char* name : {"Subject", "Bcc", "Disposition-Notification-To", "Message-ID"}) {
    auto value = header_field(header, name);
    if (value && (value->find('\n') != std::string::npos || value->find('\r') != std::string::npos)) __builtin_trap();
    if (value) first_address(*value);
  }
  std::string without = remove_header_field(input, "Bcc");
  if (!std::string_view(without).ends_with(input.substr(header.size()))) __builtin_trap();
  std::string stuffed = dot_stuff(input);
  if (!stuffed.ends_with(".\r\n")) __builtin_trap();
  xtext(input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  replies(input);
  entries(input);
  headers(input);
  return 0;
}
