// IMAP command framing and parsing on arbitrary bytes. The framer must produce the same events
// whether the bytes come at once or in pieces, and buffer no more than its limits allow; each
// complete command is parsed and its arguments walked with every token reader, which either
// read something or throw SyntaxError, nothing else. The arguments are also read as SORT
// criteria and a THREAD algorithm, and the command's words, taken as the headers of a few
// messages, are sorted and threaded: every message must come out exactly once.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/command_framer.hpp"
#include "imap/command_parser.hpp"
#include "imap/sequence_set.hpp"
#include "imap/sort_thread.hpp"

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

// Messages made of the command's words: each word is a message's subject and Message-ID, the
// next ones its References and In-Reply-To, so the fuzzer can build any graph of ids.
std::vector<SortThreadMessage> messages_from(std::string_view text) {
  std::vector<std::string_view> words;
  for (size_t pos = 0; pos < text.size() && words.size() < 20;) {
    size_t end = std::min(text.find(' ', pos), text.size());
    words.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  std::vector<SortThreadMessage> messages;
  for (size_t i = 0; i < words.size() && i < 16; ++i) {
    auto word = [&](size_t k) { return std::string(i + k < words.size() ? words[i + k] : ""); };
    SortThreadMessage m;
    m.id = static_cast<uint32_t>(2 * i + 1);
    m.internal_date = static_cast<int64_t>(words[i].size() % 4);
    if (words[i].size() % 3) m.sent_date = static_cast<int64_t>(words[i].size() % 5);
    m.size = static_cast<int64_t>(words[i].size());
    m.subject = word(0);
    m.from_mailbox = m.from_display = word(1);
    m.to_mailbox = m.cc_mailbox = m.to_display = word(2);
    m.message_id = word(0);
    m.references = word(1) + " " + word(2);
    m.in_reply_to = word(3);
    messages.push_back(std::move(m));
  }
  return messages;
}

// Each message's id exactly once in the THREAD data, in balanced parentheses.
void check_threads(const std::string& data, const std::vector<SortThreadMessage>& messages) {
  std::vector<uint32_t> seen;
  int depth = 0;
  for (size_t pos = 0; pos < data.size();) {
    char c = data[pos];
    if (c == '(' || c == ')') {
      depth += c == '(' ? 1 : -1;
      if (depth < 0) __builtin_trap();
      ++pos;
    } else if (c == ' ') {
      ++pos;
    } else {
      uint32_t id = 0;
      for (; pos < data.size() && data[pos] >= '0' && data[pos] <= '9'; ++pos) id = id * 10 + static_cast<uint32_t>(data[pos] - '0');
      if (id == 0 || depth == 0) __builtin_trap();
      seen.push_back(id);
    }
  }
  if (depth != 0 || seen.size() != messages.size()) __builtin_trap();
  std::sort(seen.begin(), seen.end());
  for (size_t i = 0; i < seen.size(); ++i)
    if (seen[i] != messages[i].id) __builtin_trap();
}

// SORT criteria and a THREAD algorithm read from the arguments; base subjects, sorting and
// threading on messages made of the text.
void sort_and_thread(ArgumentReader args, std::string_view text) {
  args.accept(' ');
  std::vector<SortCriterion> criteria;
  ArgumentReader sort = args;
  try {
    criteria = read_sort_criteria(sort);
    if (criteria.empty() || sort.offset() > text.size()) __builtin_trap();
  } catch (const SyntaxError& error) {
    if (error.offset() > text.size()) __builtin_trap();
  }
  ArgumentReader thread = args;
  try {
    (void)read_thread_algorithm(thread);
    if (thread.offset() <= args.offset()) __builtin_trap();
  } catch (const SyntaxError& error) {
    if (error.offset() > text.size()) __builtin_trap();
  }

  std::string base = base_subject(text);
  if (base.size() > text.size() || base_subject(base) != base) __builtin_trap();

  std::vector<SortThreadMessage> messages = messages_from(text);
  std::vector<uint32_t> sorted = sort_messages(messages, criteria);
  std::sort(sorted.begin(), sorted.end());
  if (sorted.size() != messages.size()) __builtin_trap();
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != messages[i].id) __builtin_trap();
  check_threads(thread_messages(messages, ThreadAlgorithm::references), messages);
  check_threads(thread_messages(messages, ThreadAlgorithm::orderedsubject), messages);
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
      sort_and_thread(command.args, text);
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
