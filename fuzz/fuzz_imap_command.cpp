// IMAP command framing and parsing on arbitrary bytes. The framer must produce the same events
// whether the bytes come at once or in pieces, and buffer no more than its limits allow; each
// complete command is parsed and its arguments walked with every token reader, which either
// read something or throw SyntaxError, nothing else.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/command_framer.hpp"
#include "imap/command_parser.hpp"
#include "imap/sequence_set.hpp"

using namespace ximssd::imap;

namespace {

constexpr CommandFramer::Limits kLimits{.max_line = 256, .max_literal = 1024, .max_command = 4096};

// Reads the arguments token by token, choosing the reader from the next byte; after an error
// it resumes one byte further on, so every reader meets every position.
void walk(ArgumentReader args, std::string_view text) {
  while (!args.at_end()) {
    size_t before = args.offset();
    ArgumentReader attempt = args;
    try {
      switch (attempt.peek()) {
        case ' ': attempt.sp(); break;
        case '(':
          if (before % 2) attempt.flag_list(); else attempt.list_begin();
          break;
        case ')': attempt.list_end(); break;
        case '"':
          if (before % 3 == 0) attempt.date_time(); else if (before % 3 == 1) attempt.nstring(); else attempt.astring();
          break;
        case '{': attempt.string(); break;
        case '[': attempt.section(); break;
        case '<': attempt.partial(); break;
        case '\\': attempt.flag(); break;
        case '$':
        case '*': {
          SequenceSet set = attempt.sequence_set();
          if (SequenceSet::parse(set.to_string()) != set) __builtin_trap();
          (void)set.contains(5, 10);
          (void)set.intersect(std::vector<uint32_t>{1, 5, 4000000000u});
          break;
        }
        default:
          if (attempt.peek() >= '0' && attempt.peek() <= '9') {
            switch (before % 4) {
              case 0: attempt.number(); break;
              case 1: attempt.number64(); break;
              case 2: attempt.date(); break;
              default: {
                SequenceSet set = attempt.sequence_set();
                if (SequenceSet::parse(set.to_string()) != set) __builtin_trap();
                if (set.normalized(100).size() > set.ranges().size()) __builtin_trap();
              }
            }
          } else if (attempt.accept_word("NIL")) {
          } else if (before % 2) {
            attempt.keyword();
          } else {
            attempt.astring();
          }
      }
      if (attempt.offset() <= before || attempt.offset() > text.size()) __builtin_trap();
      args = attempt;
    } catch (const SyntaxError& error) {
      if (error.offset() > text.size()) __builtin_trap();
      args = ArgumentReader(text, before + 1);
    }
  }
}

std::vector<std::string> events(CommandFramer& framer) {
  std::vector<std::string> out;
  while (auto e = framer.next()) {
    out.push_back(std::to_string(static_cast<int>(e->kind)) + ":" + std::string(e->tag) + ":" +
                  std::to_string(e->literal_size) + ":" + std::string(e->text));
    if (e->kind != CommandFramer::Kind::command) continue;
    std::string_view text = e->text;
    try {
      Command command = parse_command(text);
      if (command.tag != tag_of(text)) __builtin_trap();
      walk(command.args, text);
      ArgumentReader(text, command.args.offset()).rest();
    } catch (const SyntaxError& error) {
      if (error.offset() > text.size()) __builtin_trap();
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  CommandFramer whole(kLimits);
  whole.feed(input);
  std::vector<std::string> expected = events(whole);

  // The same bytes in pieces of 1 to 16 bytes, the sizes taken from the bytes themselves.
  CommandFramer pieces(kLimits);
  std::vector<std::string> got;
  for (size_t pos = 0; pos < input.size();) {
    size_t n = std::min<size_t>(input.size() - pos, 1 + static_cast<uint8_t>(input[pos]) % 16);
    char* space = pieces.prepare(32);
    std::copy_n(input.data() + pos, n, space);
    pieces.commit(n);
    pos += n;
    for (auto& e : events(pieces)) got.push_back(std::move(e));
    if (pieces.buffered() > kLimits.max_command + kLimits.max_line + 32) __builtin_trap();
    pieces.release_if_idle();
  }
  if (got != expected) __builtin_trap();
  return 0;
}
