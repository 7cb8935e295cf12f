#include "imap/command_parser.hpp"

#include <array>
#include <cctype>
#include <cstring>

#include "base/text.hpp"

namespace ximssd::imap {

namespace {

bool is_ctl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// ATOM-CHAR = any CHAR except atom-specials: ( ) { SP CTL list-wildcards quoted-specials
// resp-specials. CHAR is 7-bit.
bool is_atom_char(char c) {
  if (is_ctl(c) || static_cast<unsigned char>(c) >= 0x80) return false;
  return !std::strchr("(){ %*\"\\]", c);
}
bool is_astring_char(char c) { return is_atom_char(c) || c == ']'; }
bool is_tag_char(char c) { return is_astring_char(c) && c != '+'; }
bool is_list_char(char c) { return is_astring_char(c) || c == '%' || c == '*'; }
bool is_keyword_char(char c) { return is_atom_char(c) && c != '[' && c != '<'; }
bool is_sequence_char(char c) { return is_digit(c) || c == ':' || c == ',' || c == '*' || c == '$'; }

constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

SyntaxError::SyntaxError(const std::string& what, size_t offset)
    : Failure(ErrorCode::badRequest, what + " at offset " + std::to_string(offset)), offset_(offset) {}

int64_t DateTime::unix_time() const {
  return days_from_civil(date.year, date.month, date.day) * 86400 + hour * 3600 + minute * 60 + second -
         zone_minutes * 60;
}

void ArgumentReader::fail(const std::string& what) const {
  if (at_end()) throw SyntaxError(what + " (found the end of the command)", pos_);
  throw SyntaxError(what, pos_);
}

void ArgumentReader::expect_end() const {
  if (!at_end()) fail("unexpected text after the arguments");
}

bool ArgumentReader::accept(char c) {
  if (peek() != c || at_end()) return false;
  ++pos_;
  return true;
}

std::string_view ArgumentReader::peek_atom() const {
  size_t end = pos_;
  while (end < text_.size() && is_atom_char(text_[end])) ++end;
  return text_.substr(pos_, end - pos_);
}

bool ArgumentReader::accept_word(std::string_view word) {
  std::string_view next = peek_atom();
  if (!iequals(next, word)) return false;
  pos_ += next.size();
  return true;
}

void ArgumentReader::sp() {
  if (!accept(' ')) fail("expected a space");
}

void ArgumentReader::expect(char c) {
  if (!accept(c)) fail(std::string("expected '") + c + "'");
}

std::string_view ArgumentReader::run(bool (*accepts)(char)) {
  size_t begin = pos_;
  while (pos_ < text_.size() && accepts(text_[pos_])) ++pos_;
  return text_.substr(begin, pos_ - begin);
}

std::string_view ArgumentReader::atom() {
  std::string_view a = run(is_atom_char);
  if (a.empty()) fail("expected an atom");
  return a;
}

std::string ArgumentReader::list_mailbox() {
  if (peek() == '"' || peek() == '{') return string();
  std::string_view m = run(is_list_char);
  if (m.empty()) fail("expected a mailbox name or pattern");
  return std::string(m);
}

std::string_view ArgumentReader::keyword() {
  std::string_view k = run(is_keyword_char);
  if (k.empty()) fail("expected a keyword");
  return k;
}

std::string ArgumentReader::quoted() {
  size_t begin = pos_;
  expect('"');
  std::string out;
  for (;;) {
    if (at_end()) throw SyntaxError("unterminated quoted string", begin);
    char c = text_[pos_];
    if (c == '"') break;
    if (c == '\r' || c == '\n' || c == '\0') fail("line break or NUL in a quoted string");
    if (c == '\\') {
      ++pos_;
      char escaped = peek();
      if (escaped != '"' && escaped != '\\') fail("only \\\" and \\\\ may be escaped in a quoted string");
      c = escaped;
    }
    out += c;
    ++pos_;
  }
  ++pos_;
  return out;
}

std::string ArgumentReader::literal() {
  expect('{');
  std::string_view digits = run(is_digit);
  auto size = parse_decimal(digits);
  if (digits.empty() || digits.size() > 10 || !size || *size > UINT32_MAX) fail("expected a literal's size");
  accept('+');  // LITERAL+: the framer already made the difference
  expect('}');
  accept('\r');
  expect('\n');
  if (static_cast<uint64_t>(*size) > text_.size() - pos_) fail("literal is longer than the command");
  std::string out(text_.substr(pos_, static_cast<size_t>(*size)));
  pos_ += out.size();
  return out;
}

std::string ArgumentReader::string() {
  if (peek() == '"') return quoted();
  if (peek() == '{') return literal();
  fail("expected a quoted string or a literal");
}

std::string ArgumentReader::astring() {
  if (peek() == '"' || peek() == '{') return string();
  std::string_view a = run(is_astring_char);
  if (a.empty()) fail("expected an atom, a quoted string or a literal");
  return std::string(a);
}

std::optional<std::string> ArgumentReader::nstring() {
  if (peek() != '"' && peek() != '{') {
    if (!accept_word("NIL")) fail("expected NIL, a quoted string or a literal");
    return std::nullopt;
  }
  return string();
}

uint64_t ArgumentReader::number64() {
  std::string_view digits = run(is_digit);
  auto value = digits.size() <= 19 ? parse_decimal(digits) : std::nullopt;
  if (digits.empty()) fail("expected a number");
  if (!value) throw SyntaxError("number too large", pos_ - digits.size());
  return static_cast<uint64_t>(*value);
}

uint32_t ArgumentReader::number() {
  size_t begin = pos_;
  uint64_t value = number64();
  if (value > UINT32_MAX) throw SyntaxError("number too large", begin);
  return static_cast<uint32_t>(value);
}

uint32_t ArgumentReader::nz_number() {
  size_t begin = pos_;
  if (peek() == '0') fail("expected a number not starting with 0");
  uint32_t value = number();
  if (value == 0) throw SyntaxError("expected a non-zero number", begin);
  return value;
}

std::string ArgumentReader::flag() {
  size_t begin = pos_;
  bool system = accept('\\');
  std::string_view name = run(is_atom_char);
  if (name.empty()) throw SyntaxError("expected a flag", begin);
  return (system ? "\\" : "") + std::string(name);
}

std::vector<std::string> ArgumentReader::flag_list() {
  list_begin();
  std::vector<std::string> flags;
  if (accept_list_end()) return flags;
  for (;;) {
    flags.push_back(flag());
    if (accept_list_end()) return flags;
    sp();
  }
}

SequenceSet ArgumentReader::sequence_set() {
  size_t begin = pos_;
  std::string_view text = run(is_sequence_char);
  auto set = SequenceSet::parse(text);
  if (!set) throw SyntaxError("expected a sequence set", begin);
  return *set;
}

Date ArgumentReader::date() {
  size_t begin = pos_;
  bool quoted = accept('"');
  Date d;
  std::string_view day = run(is_digit);
  if (day.empty() || day.size() > 2) throw SyntaxError("expected a date like 1-Feb-1994", begin);
  d.day = static_cast<int>(*parse_decimal(day));
  expect('-');
  std::string_view month = text_.substr(pos_, 3);
  for (size_t i = 0; i < kMonths.size(); ++i)
    if (iequals(month, kMonths[i])) d.month = static_cast<int>(i) + 1;
  if (d.month == 0) fail("expected a month name (Jan..Dec)");
  pos_ += 3;
  expect('-');
  std::string_view year = run(is_digit);
  if (year.size() != 4) throw SyntaxError("expected a four-digit year", pos_ - year.size());
  d.year = static_cast<int>(*parse_decimal(year));
  if (d.day < 1 || d.day > days_in_month(d.year, d.month)) throw SyntaxError("no such day", begin);
  if (quoted) expect('"');
  return d;
}

DateTime ArgumentReader::date_time() {
  expect('"');
  accept(' ');  // date-day-fixed pads one-digit days with a space
  DateTime t;
  // date() would accept a quote here; the date inside date-time is bare.
  if (peek() == '"') fail("expected a date");
  t.date = date();
  auto two_digits = [&](int max, const char* what) {
    size_t at = pos_;
    if (text_.size() - pos_ < 2 || !is_digit(text_[pos_]) || !is_digit(text_[pos_ + 1])) fail(what);
    int value = (text_[pos_] - '0') * 10 + (text_[pos_ + 1] - '0');
    if (value > max) throw SyntaxError(what, at);
    pos_ += 2;
    return value;
  };
  sp();
  t.hour = two_digits(23, "expected an hour (00-23)");
  expect(':');
  t.minute = two_digits(59, "expected minutes (00-59)");
  expect(':');
  t.second = two_digits(60, "expected seconds (00-60)");
  sp();
  int sign = accept('+') ? 1 : accept('-') ? -1 : 0;
  if (sign == 0) fail("expected a zone like +0000");
  int zone_hours = two_digits(99, "expected a zone like +0000");
  int zone_minutes = two_digits(59, "expected a zone like +0000");
  t.zone_minutes = sign * (zone_hours * 60 + zone_minutes);
  if (!accept('"')) fail("expected the closing quote of a date-time");
  return t;
}

Section ArgumentReader::section() {
  expect('[');
  Section s;
  while (is_digit(peek())) {
    uint32_t n = nz_number();
    if (n > 100000 || s.part.size() >= 64) throw SyntaxError("section part number out of range", pos_);
    s.part.push_back(static_cast<int>(n));
    if (!accept('.')) break;
    if (!is_digit(peek())) {
      if (peek() == ']' || at_end()) fail("expected a section part or text after '.'");
      break;
    }
  }
  if (peek() != ']') {
    size_t begin = pos_;
    while (!at_end() && (std::isalpha(static_cast<unsigned char>(peek())) || peek() == '.')) ++pos_;
    std::string text(text_.substr(begin, pos_ - begin));
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    using Text = Section::Text;
    if (text == "HEADER.FIELDS") s.text = Text::header_fields;
    else if (text == "HEADER.FIELDS.NOT") s.text = Text::header_fields_not;
    else if (text == "HEADER") s.text = Text::header;
    else if (text == "TEXT") s.text = Text::text;
    else if (text == "MIME" && !s.part.empty()) s.text = Text::mime;
    else throw SyntaxError("unknown section text", begin);
    if (s.text == Text::header_fields || s.text == Text::header_fields_not) {
      sp();
      list_begin();
      for (;;) {
        s.fields.push_back(astring());
        if (accept_list_end()) break;
        sp();
      }
    }
  }
  expect(']');
  return s;
}

std::optional<Partial> ArgumentReader::partial() {
  if (!accept('<')) return std::nullopt;
  Partial p;
  p.offset = number();
  expect('.');
  p.length = nz_number();
  expect('>');
  return p;
}

std::string_view ArgumentReader::rest() {
  std::string_view r = text_.substr(pos_);
  pos_ = text_.size();
  return r;
}

std::string_view tag_of(std::string_view text) {
  size_t n = 0;
  while (n < text.size() && is_tag_char(text[n])) ++n;
  return text.substr(0, n);
}

Command parse_command(std::string_view text) {
  ArgumentReader reader(text);
  std::string_view tag = tag_of(text);
  if (tag.empty()) reader.fail("expected a tag");
  std::string_view after_tag = text.substr(tag.size());
  ArgumentReader cursor(text, tag.size());
  if (!after_tag.empty() && after_tag[0] != ' ') cursor.fail("invalid character in the tag");
  cursor.sp();
  auto name_word = [&]() {
    size_t begin = cursor.offset();
    std::string_view word = cursor.atom();
    for (char c : word)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
        throw SyntaxError("expected a command name", begin);
    std::string upper(word);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return upper;
  };
  std::string name = name_word();
  if (name == "UID") {
    cursor.sp();
    name += ' ' + name_word();
  }
  return Command{std::string(tag), std::move(name), cursor};
}

}  // namespace ximssd::imap
