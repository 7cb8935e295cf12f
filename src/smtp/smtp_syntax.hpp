// SMTP (RFC 5321) and LMTP (RFC 2033) syntax: command lines, the MAIL FROM and RCPT TO paths
// with their ESMTP parameters (SIZE, BODY, RET, ENVID, NOTIFY, ORCPT), the DATA decoder
// (dot-unstuffing, the end-of-data line, the size limit) and line framing of the input.
// No I/O and no coroutines: the fuzz target links this alone.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ximssd::smtp {

// A command the client got wrong: answered with `code` (501, 504, 555...) and the RFC 3463
// status `enhanced`, and counted towards the bad-command limit.
class SyntaxError : public std::runtime_error {
 public:
  SyntaxError(int code, std::string enhanced, const std::string& text)
      : std::runtime_error(text), code_(code), enhanced_(std::move(enhanced)) {}
  int code() const noexcept { return code_; }
  const std::string& enhanced() const noexcept { return enhanced_; }

 private:
  int code_;
  std::string enhanced_;
};

enum class Verb { helo, ehlo, lhlo, mail, rcpt, data, rset, noop, quit, vrfy, expn, help, starttls, bdat, auth, unknown };

struct CommandLine {
  Verb verb = Verb::unknown;
  std::string_view name;      // the verb as sent
  std::string_view argument;  // after the verb and one space; empty when none
};

// Splits a command line (without its CRLF). The verb is case-insensitive.
CommandLine split_command(std::string_view line);

// MAIL FROM:<reverse-path> [SP parameters]. "<>" is the null sender (address empty).
struct MailFrom {
  std::string address;
  std::optional<uint64_t> size;  // SIZE=
  bool eight_bit = false;        // BODY=8BITMIME
  std::optional<bool> ret_full;  // RET=FULL (true) or HDRS (false)
  std::string envid;             // ENVID=, xtext decoded
};
// `argument` is what follows "MAIL " ("FROM:<a@b> SIZE=10"). Throws SyntaxError.
MailFrom parse_mail_from(std::string_view argument);

// RCPT TO:<forward-path> [SP parameters]. "<Postmaster>" (no domain) is allowed (RFC 5321
// section 4.5.1) and comes back as "Postmaster".
struct RcptTo {
  std::string address;
  bool notify_success = false;  // NOTIFY=SUCCESS
  bool notify_failure = true;   // NOTIFY=FAILURE, the default; NOTIFY=NEVER clears both
  bool notify_delay = false;    // NOTIFY=DELAY
  std::string orcpt;            // ORCPT=, as "addr-type;address" with the xtext decoded
};
// `argument` is what follows "RCPT " ("TO:<a@b> NOTIFY=NEVER"). Throws SyntaxError.
RcptTo parse_rcpt_to(std::string_view argument);

// RFC 3461 section 4: xtext ("+" followed by two upper-case hex digits stands for a byte).
// Throws SyntaxError for a malformed escape or a byte outside "!".."~".
std::string decode_xtext(std::string_view text);

// Reads the message after DATA: removes the leading dot of stuffed lines and stops at the line
// holding a lone ".". The content keeps its line ends as sent (CRLF); it includes the CRLF
// before the final ".". Beyond `max_size` bytes the rest is read and dropped (too_large()).
class DataDecoder {
 public:
  explicit DataDecoder(uint64_t max_size) : max_size_(max_size) {}
  // Consumes bytes up to and including the end-of-data line; returns how many it took.
  size_t feed(std::string_view input);
  bool done() const { return state_ == State::done; }
  bool too_large() const { return too_large_; }
  uint64_t size() const { return size_; }  // decoded bytes seen, including any dropped
  std::string take() { return std::move(content_); }

 private:
  enum class State { line_start, dot, dot_cr, middle, cr, done };
  void put(char c);

  uint64_t max_size_;
  uint64_t size_ = 0;
  bool too_large_ = false;
  State state_ = State::line_start;
  std::string content_;
};

// The connection's input: bytes read from the socket, cut into command lines (ending in LF,
// an optional CR before it removed), or handed to a DataDecoder during DATA.
class InputBuffer {
 public:
  explicit InputBuffer(size_t max_line) : max_line_(max_line) {}
  char* prepare(size_t n);
  void commit(size_t n) { end_ += n; }
  void feed(std::string_view bytes);

  struct Line {
    std::string_view text;  // valid until the next prepare/feed/release
    bool too_long = false;  // the line passed max_line; its text is dropped
  };
  // The next complete line, or nothing when more input is needed. A line longer than max_line
  // is dropped as it arrives (memory stays bounded) and reported once, when its end arrives.
  std::optional<Line> next_line();
  // Hands buffered bytes to `decoder` until it is done or the buffer is empty.
  void feed(DataDecoder& decoder);
  size_t buffered() const { return end_ - begin_; }
  void clear() { begin_ = end_ = 0; discarding_ = false; }
  // Frees the buffer when nothing is pending (idle connections hold no memory).
  void release_if_idle();

 private:
  void compact();

  size_t max_line_;
  std::string buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool discarding_ = false;  // inside an over-long line
};

}  // namespace ximssd::smtp
