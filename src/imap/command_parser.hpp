// Parsing one complete IMAP command (as CommandFramer delivers it: literals inline, no final
// CRLF) by RFC 3501's grammar: the tag and the command name first, then a cursor that the
// command's handler drives over its arguments, one token reader per grammar rule. A reader that
// finds something else throws SyntaxError saying what was expected and at which byte offset, so
// the server answers "<tag> BAD <message>". The readers are coroutine-free and allocate only
// what they return; the text must outlive the reader.
#pragma once

#include "mime/imap_section.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "imap/sequence_set.hpp"

namespace ximssd::imap {

class SyntaxError : public Failure {
 public:
  SyntaxError(const std::string& what, size_t offset);
  size_t offset() const noexcept { return offset_; }

 private:
  size_t offset_;
};

struct Date {
  int year = 0, month = 0, day = 0;  // month 1..12
  bool operator==(const Date&) const = default;
};

struct DateTime {
  Date date;
  int hour = 0, minute = 0, second = 0;
  int zone_minutes = 0;  // east of UTC: "+0130" is 90
  int64_t unix_time() const;  // seconds since 1970 UTC
  bool operator==(const DateTime&) const = default;
};

// A FETCH section ("[1.2.HEADER.FIELDS (DATE FROM)]"), RFC 3501 section-spec: the form
// mime::section_bytes takes.
using Section = mime::SectionSpec;

struct Partial {  // "<offset.length>"
  uint32_t offset = 0;
  uint32_t length = 0;
  bool operator==(const Partial&) const = default;
};

class ArgumentReader {
 public:
  explicit ArgumentReader(std::string_view text, size_t offset = 0) : text_(text), pos_(offset) {}

  size_t offset() const { return pos_; }
  bool at_end() const { return pos_ >= text_.size(); }
  void expect_end() const;  // throws unless every byte was read
  // The next byte, or 0 at the end.
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  // True, and the byte consumed, when the next byte is `c`.
  bool accept(char c);
  // True, and the word consumed, when the next atom is `word` (case-insensitively).
  bool accept_word(std::string_view word);
  // The next atom without consuming it ("" when the next token is not an atom).
  std::string_view peek_atom() const;

  void sp();
  void expect(char c);
  // atom = 1*ATOM-CHAR.
  std::string_view atom();
  // An atom that stops before "[" and "<", for names followed by a section or partial
  // (BODY[...]<...>, BINARY[...]).
  std::string_view keyword();
  std::string astring();               // atom (with "]") / quoted / literal
  std::string list_mailbox();          // LIST's pattern: astring plus the wildcards % and *
  std::string string();                // quoted / literal
  std::optional<std::string> nstring();  // NIL or string
  uint32_t number();                   // 0..2^32-1
  uint32_t nz_number();                // 1..2^32-1
  uint64_t number64();                 // 0..2^63-1, for mod-sequences
  std::string flag();                  // "\Seen", "$Label"
  std::vector<std::string> flag_list();  // "(" [flag *(SP flag)] ")"
  void list_begin() { expect('('); }
  void list_end() { expect(')'); }
  bool accept_list_end() { return accept(')'); }
  SequenceSet sequence_set();          // also "$"
  Date date();                         // date-text, or quoted
  DateTime date_time();                // DQUOTE date-time DQUOTE
  Section section();                   // "[" [section-spec] "]"
  std::optional<Partial> partial();    // "<" number "." nz-number ">", when present
  // The rest of the text, unparsed (SEARCH's criteria go to their own parser), and consumed.
  std::string_view rest();

  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::string quoted();
  std::string literal();
  std::string_view run(bool (*accepts)(char));

  std::string_view text_;
  size_t pos_;
};

struct Command {
  std::string tag;
  std::string name;   // uppercase; "UID FETCH" for UID commands
  ArgumentReader args;  // positioned after the name (at its SP, if any arguments follow)
};

// Reads tag SP name [SP name-after-UID]. Throws SyntaxError; `tag_of` then still finds the tag
// for the BAD response when the text starts with one.
Command parse_command(std::string_view text);
std::string_view tag_of(std::string_view text);

}  // namespace ximssd::imap
