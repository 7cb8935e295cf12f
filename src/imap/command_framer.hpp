// IMAP command framing (RFC 3501 section 2.2, RFC 7888 LITERAL+). A command is one or more
// lines; a line that ends in "{n}" or "{n+}" is followed by n bytes of literal data and then
// the command goes on. CommandFramer accumulates received bytes and hands out each complete
// command as the text that was sent, literals inline ("{5}\r\nhello" stays in it) and without
// the final CRLF, so every later parser reads literals from the text by their byte count.
//
// It also tells the connection when to send "+ Ready for literal data" (a synchronizing
// literal was announced) and enforces the limits: a line (the text between literals) longer
// than max_line is reported and skipped up to its CRLF; a literal larger than max_literal, or
// one that would make the command larger than max_command, is reported with the command's tag
// so the server can answer "<tag> NO [TOOBIG]". A refused synchronizing literal is never sent
// (the client waits for the "+" it does not get), so the command simply ends there; a refused
// non-synchronizing literal is on its way and its bytes are skipped, as is the rest of that
// command. Memory per connection is the current command plus what has been received after it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ximssd::imap {

class CommandFramer {
 public:
  struct Limits {
    size_t max_line = 64 * 1024;
    uint64_t max_literal = 64ull * 1024 * 1024;  // APPEND carries whole messages
    uint64_t max_command = 80ull * 1024 * 1024;  // all lines and literals of one command
  };
  CommandFramer() : CommandFramer(Limits{}) {}
  explicit CommandFramer(Limits limits) : limits_(limits) {}

  enum class Kind {
    command,               // text: the whole command, literals inline, no final CRLF
    continuation_needed,   // a synchronizing literal of literal_size bytes: send "+ ..."
    line_too_long,         // the rest of the line up to CRLF is discarded
    literal_too_large,     // the command ends here; synchronizing says whether bytes follow
  };
  struct Event {
    Kind kind;
    std::string_view text;  // the command (Kind::command only)
    std::string_view tag;   // events about a command in progress: its tag, or empty when its
                            // first word is not one (Kind::command: empty; the parser reads it)
    uint64_t literal_size = 0;
    bool synchronizing = false;
  };

  // Space to receive into: the caller writes up to `size` bytes at the returned pointer, then
  // calls commit(n) with the number actually written.
  char* prepare(size_t size);
  void commit(size_t n);
  void feed(std::string_view data);
  void feed(const char* data, size_t size) { feed(std::string_view(data, size)); }

  // The next event, or nullopt when more bytes are needed. Views stay valid until the next
  // prepare/feed/release call.
  std::optional<Event> next();
  // Frees the buffer when no command is pending (keeps idle connections small).
  void release_if_idle();
  // True while a command has started but not ended, or refused input is being skipped.
  bool partial() const { return state_ != State::line || start_ < buf_.size(); }
  size_t buffered() const { return buf_.size() - start_; }

 private:
  enum class State { line, literal, skip_line, skip_literal };
  struct LiteralMark {
    uint64_t size;  // UINT64_MAX when the number does not fit
    bool synchronizing;
  };
  static std::optional<LiteralMark> literal_mark(std::string_view line);
  void drop_consumed();
  void discard_to(size_t end);
  void capture_tag();
  void keep_tail(std::string_view bytes);
  Event event(Kind kind, uint64_t size = 0, bool synchronizing = false);

  Limits limits_;
  std::string buf_;
  size_t start_ = 0;       // start of the current command (everything before is consumed)
  size_t pos_ = 0;         // bytes from start_ up to here are scanned and belong to it
  size_t line_start_ = 0;  // start of the current line of the command
  size_t prepared_ = 0;    // bytes added by prepare() and not yet committed
  State state_ = State::line;
  uint64_t remaining_ = 0;  // literal bytes still to come (State::literal, skip_literal)
  std::string tag_;         // of the command an error event is about
  std::string tail_;        // last bytes of a skipped line: does it announce a literal?
};

}  // namespace ximssd::imap
