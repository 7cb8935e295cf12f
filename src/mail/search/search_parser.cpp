#include "mail/search/search_parser.hpp"

#include <date/date.h>

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "base/text.hpp"
#include "mail/search/search_syntax.hpp"
#include "mime/gmime_support.hpp"

namespace ximssd::mail::search {

UnknownCharset::UnknownCharset(std::string charset)
    : Failure(ErrorCode::badRequest, "unknown search charset \"" + charset + "\""), charset_(std::move(charset)) {}

namespace {

using K = SearchKeyKind;

// What follows a key's name.
enum class Argument { none, string, header, keyword, date, number, modseq, uid_set, one_key, two_keys };

struct KeySyntax {
  std::string_view name;
  K kind;
  Argument argument;
};

constexpr std::array<KeySyntax, 39> kKeys = {{
    {"ALL", K::all, Argument::none},
    {"ANSWERED", K::answered, Argument::none},
    {"BCC", K::bcc, Argument::string},
    {"BEFORE", K::before, Argument::date},
    {"BODY", K::body, Argument::string},
    {"CC", K::cc, Argument::string},
    {"DELETED", K::deleted, Argument::none},
    {"DRAFT", K::draft, Argument::none},
    {"FLAGGED", K::flagged, Argument::none},
    {"FROM", K::from, Argument::string},
    {"HEADER", K::header, Argument::header},
    {"KEYWORD", K::keyword, Argument::keyword},
    {"LARGER", K::larger, Argument::number},
    {"NEW", K::new_, Argument::none},
    {"NOT", K::not_, Argument::one_key},
    {"OLD", K::old, Argument::none},
    {"ON", K::on, Argument::date},
    {"OR", K::or_, Argument::two_keys},
    {"RECENT", K::recent, Argument::none},
    {"SEEN", K::seen, Argument::none},
    {"SENTBEFORE", K::sent_before, Argument::date},
    {"SENTON", K::sent_on, Argument::date},
    {"SENTSINCE", K::sent_since, Argument::date},
    {"SINCE", K::since, Argument::date},
    {"SMALLER", K::smaller, Argument::number},
    {"SUBJECT", K::subject, Argument::string},
    {"TEXT", K::text, Argument::string},
    {"TO", K::to, Argument::string},
    {"UID", K::uid, Argument::uid_set},
    {"UNANSWERED", K::unanswered, Argument::none},
    {"UNDELETED", K::undeleted, Argument::none},
    {"UNDRAFT", K::undraft, Argument::none},
    {"UNFLAGGED", K::unflagged, Argument::none},
    {"UNKEYWORD", K::unkeyword, Argument::keyword},
    {"UNSEEN", K::unseen, Argument::none},
    {"YOUNGER", K::younger, Argument::number},
    {"OLDER", K::older, Argument::number},
    {"MODSEQ", K::modseq, Argument::modseq},
    {"CHARSET", K::all, Argument::none},  // only valid first; found here to say so
}};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool no_conversion_needed(std::string_view charset) {
  for (std::string_view same : {"UTF-8", "UTF8", "US-ASCII", "ASCII"})
    if (iequals(charset, same)) return true;
  return false;
}

class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in) {}

  SearchQuery parse() {
    if (in_.size() > kMaxSearchText)
      fail("the search is longer than " + std::to_string(kMaxSearchText) + " bytes", kMaxSearchText);
    SearchQuery query;
    query.root.kind = K::and_;
    skip_spaces();
    size_t at = pos_;
    if (word_ahead("CHARSET")) {
      pos_ += 7;
      argument_start("CHARSET needs a charset name", at);
      query.charset = astring("CHARSET needs a charset name");
      use_charset(query.charset);
      skip_spaces();
    }
    if (at_end()) fail("the search has no search key", pos_);
    while (!at_end()) {
      query.root.children.push_back(key());
      skip_spaces();
    }
    return query;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  int depth_ = 0;
  size_t keys_ = 0;
  const char* iconv_name_ = nullptr;  // the charset to convert strings from, when not UTF-8

  [[noreturn]] static void fail(const std::string& what, size_t at) {
    throw Failure(ErrorCode::badRequest, what + " at offset " + std::to_string(at));
  }

  bool at_end() const { return pos_ >= in_.size(); }
  char peek() const { return at_end() ? '\0' : in_[pos_]; }
  void skip_spaces() {
    while (!at_end() && is_space(in_[pos_])) ++pos_;
  }

  // The word `name` (any case) is next, followed by a space or the end.
  bool word_ahead(std::string_view name) const {
    if (in_.size() - pos_ < name.size() || !iequals(in_.substr(pos_, name.size()), name)) return false;
    return pos_ + name.size() == in_.size() || is_space(in_[pos_ + name.size()]);
  }

  // Between a key's name and its argument: at least one space, then something.
  void argument_start(const std::string& missing, size_t key_at) {
    size_t before = pos_;
    skip_spaces();
    if (at_end()) fail(missing, key_at);
    if (pos_ == before) fail("a space is missing", pos_);
  }

  void use_charset(const std::string& charset) {
    if (no_conversion_needed(charset)) return;
    mime::ensure_gmime();
    // GMime maps "" to the locale's charset, which is not what an empty name asks for.
    const char* name = charset.empty() ? nullptr : g_mime_charset_iconv_name(charset.c_str());
    GIConv converter = name ? g_iconv_open("UTF-8", name) : reinterpret_cast<GIConv>(-1);
    if (converter == reinterpret_cast<GIConv>(-1)) throw UnknownCharset(charset);
    g_iconv_close(converter);
    iconv_name_ = name;
  }

  // A string argument as UTF-8: converted from the query's charset, or checked.
  std::string text(std::string bytes, size_t at) {
    if (!iconv_name_) {
      if (!is_valid_utf8(bytes)) fail("the string is not valid UTF-8 (name its CHARSET)", at);
      return bytes;
    }
    gsize written = 0;
    GError* error = nullptr;
    char* converted = g_convert(bytes.data(), static_cast<gssize>(bytes.size()), "UTF-8", iconv_name_, nullptr,
                                &written, &error);
    if (error) g_error_free(error);
    if (!converted) fail("the string cannot be converted from its CHARSET to UTF-8", at);
    std::string out(converted, written);
    g_free(converted);
    return out;
  }

  SearchKey key() {
    size_t at = pos_;
    if (++keys_ > kMaxSearchKeys) fail("the search has more than " + std::to_string(kMaxSearchKeys) + " keys", at);
    char c = peek();
    if (c == '(') return list(at);
    if (c == ')') fail("unexpected \")\"", at);
    if (is_digit(c) || c == '*') {
      SearchKey key{.kind = K::sequence_set};
      key.set = sequence_set();
      return key;
    }
    std::string_view name = atom();
    if (name.empty()) fail(std::string("expected a search key, found \"") + c + "\"", at);
    const KeySyntax* syntax = nullptr;
    for (const auto& candidate : kKeys)
      if (iequals(candidate.name, name)) syntax = &candidate;
    if (!syntax) fail("unknown search key \"" + std::string(name) + "\"", at);
    if (syntax->name == "CHARSET") fail("CHARSET must come first", at);
    return arguments(*syntax, at);
  }

  SearchKey list(size_t at) {
    Nesting nesting(*this, at);
    ++pos_;
    SearchKey key{.kind = K::and_};
    for (;;) {
      skip_spaces();
      if (at_end()) fail("the \"(\" is never closed", at);
      if (peek() == ')') break;
      key.children.push_back(this->key());
    }
    ++pos_;
    if (key.children.empty()) fail("empty parenthesised list", at);
    return key;
  }

  SearchKey arguments(const KeySyntax& syntax, size_t at) {
    SearchKey key{.kind = syntax.kind};
    std::string name(syntax.name);
    switch (syntax.argument) {
      case Argument::none: break;
      case Argument::string: {
        argument_start(name + " needs a string", at);
        size_t string_at = pos_;
        key.text = text(astring(name + " needs a string"), string_at);
        break;
      }
      case Argument::header: {
        argument_start("HEADER needs a field name and a string", at);
        key.field = astring("HEADER needs a field name");
        argument_start("HEADER needs a string after the field name", at);
        size_t string_at = pos_;
        key.text = text(astring("HEADER needs a string after the field name"), string_at);
        break;
      }
      case Argument::keyword:
        argument_start(name + " needs a flag keyword", at);
        key.text = std::string(atom());
        if (key.text.empty()) fail(name + " needs a flag keyword (an atom)", pos_);
        break;
      case Argument::date:
        argument_start(name + " needs a date (d-Mon-yyyy)", at);
        key.number = day(name);
        break;
      case Argument::number:
        argument_start(name + " needs a number", at);
        key.number = number(name);
        if (key.number == 0 && (syntax.kind == K::younger || syntax.kind == K::older))
          fail(name + " needs a number of seconds above 0", at);  // RFC 5032: nz-number
        break;
      case Argument::modseq:
        // RFC 7162: MODSEQ [entry-name entry-type-req] mod-sequence-valzer. Per-flag modseqs
        // are not kept (each message has one), so the entry only has to be well-formed.
        argument_start("MODSEQ needs a mod-sequence", at);
        if (peek() == '"') {
          astring("MODSEQ needs an entry name");
          argument_start("MODSEQ needs an entry type", at);
          std::string type = ascii_lower(atom());
          if (type != "priv" && type != "shared" && type != "all") fail("MODSEQ's entry type must be priv, shared or all", pos_);
          argument_start("MODSEQ needs a mod-sequence", at);
        }
        key.number = number(name);
        break;
      case Argument::uid_set:
        argument_start("UID needs a sequence set", at);
        if (!is_digit(peek()) && peek() != '*') fail("UID needs a sequence set", pos_);
        key.set = sequence_set();
        break;
      case Argument::one_key:
      case Argument::two_keys: {
        Nesting nesting(*this, at);
        int count = syntax.argument == Argument::one_key ? 1 : 2;
        for (int i = 0; i < count; ++i) {
          argument_start(name + (count == 1 ? " needs a search key" : " needs two search keys"), at);
          key.children.push_back(this->key());
        }
        break;
      }
    }
    return key;
  }

  // Counts one level of nesting while it lives.
  struct Nesting {
    Parser& parser;
    Nesting(Parser& p, size_t at) : parser(p) {
      if (++parser.depth_ > kMaxSearchDepth)
        fail("the search is nested more than " + std::to_string(kMaxSearchDepth) + " levels deep", at);
    }
    ~Nesting() { --parser.depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;
  };

  std::string_view atom() {
    size_t start = pos_;
    while (!at_end() && is_atom_char(in_[pos_])) ++pos_;
    return in_.substr(start, pos_ - start);
  }

  // An atom (with "]" allowed), a quoted string or a literal, as its bytes.
  std::string astring(const std::string& missing) {
    size_t at = pos_;
    if (peek() == '"') return quoted();
    if (peek() == '{') return literal();
    size_t start = pos_;
    while (!at_end() && is_astring_char(in_[pos_])) ++pos_;
    if (pos_ == start) fail(missing, at);
    return std::string(in_.substr(start, pos_ - start));
  }

  std::string quoted() {
    size_t at = pos_++;
    std::string out;
    for (;;) {
      if (at_end()) fail("the quoted string is never closed", at);
      char c = in_[pos_++];
      if (c == '"') return out;
      if (c == '\r' || c == '\n' || c == '\0') fail("a quoted string cannot hold a line break or NUL", pos_ - 1);
      if (c == '\\') {
        if (at_end()) fail("the quoted string is never closed", at);
        c = in_[pos_++];
        if (c != '"' && c != '\\') fail(std::string("invalid escape \"\\") + c + "\" in a quoted string", pos_ - 2);
      }
      out += c;
    }
  }

  // "{" n ["+"] "}" CRLF (a bare LF is accepted), then n bytes.
  std::string literal() {
    size_t at = pos_++;
    uint64_t size = 0;
    size_t digits_at = pos_;
    while (is_digit(peek())) {
      size = size * 10 + static_cast<uint64_t>(peek() - '0');
      if (size > kMaxSearchText) fail("the literal is longer than the search", at);
      ++pos_;
    }
    if (pos_ == digits_at) fail("a literal needs its size: {n}", at);
    if (peek() == '+') ++pos_;
    if (peek() != '}') fail("a literal's size must end with \"}\"", pos_);
    ++pos_;
    if (peek() == '\r') ++pos_;
    if (peek() != '\n') fail("a literal's \"}\" must be followed by CRLF", pos_);
    ++pos_;
    if (size > in_.size() - pos_)
      fail("the literal of " + std::to_string(size) + " bytes is longer than the rest of the search", at);
    std::string out(in_.substr(pos_, size));
    pos_ += size;
    return out;
  }

  int64_t number(const std::string& key) {
    size_t at = pos_;
    int64_t value = 0;
    while (is_digit(peek())) {
      int digit = peek() - '0';
      if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) fail(key + "'s number is too large", at);
      value = value * 10 + digit;
      ++pos_;
    }
    if (pos_ == at) fail(key + " needs a number", at);
    return value;
  }

  uint32_t sequence_number() {
    size_t at = pos_;
    if (peek() == '*') {
      ++pos_;
      return SequenceRange::kStar;
    }
    if (!is_digit(peek())) fail("expected a sequence number or \"*\"", at);
    if (peek() == '0') fail("sequence numbers and UIDs start at 1", at);
    uint64_t value = 0;
    while (is_digit(peek())) {
      value = value * 10 + static_cast<uint64_t>(peek() - '0');
      if (value > std::numeric_limits<uint32_t>::max()) fail("the sequence number is larger than 4294967295", at);
      ++pos_;
    }
    return static_cast<uint32_t>(value);
  }

  std::vector<SequenceRange> sequence_set() {
    std::vector<SequenceRange> set;
    for (;;) {
      SequenceRange range;
      range.first = range.last = sequence_number();
      if (peek() == ':') {
        ++pos_;
        range.last = sequence_number();
      }
      set.push_back(range);
      if (peek() != ',') break;
      ++pos_;
    }
    if (!at_end() && !is_space(peek()) && peek() != ')')
      fail(std::string("unexpected \"") + peek() + "\" in a sequence set", pos_);
    return set;
  }

  // date = date-text / DQUOTE date-text DQUOTE; date-text = d[d]-Mon-yyyy.
  int64_t day(const std::string& key) {
    size_t at = pos_;
    auto bad = [&]() { fail(key + " needs a date (d-Mon-yyyy)", at); };
    bool quoted = peek() == '"';
    if (quoted) ++pos_;
    unsigned d = 0;
    size_t digits = 0;
    for (; is_digit(peek()) && digits < 2; ++digits, ++pos_) d = d * 10 + static_cast<unsigned>(peek() - '0');
    if (digits == 0 || peek() != '-') bad();
    ++pos_;
    static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    unsigned month = 0;
    if (in_.size() - pos_ >= 3)
      for (unsigned m = 0; m < 12; ++m)
        if (iequals(in_.substr(pos_, 3), kMonths[m])) month = m + 1;
    if (month == 0) bad();
    pos_ += 3;
    if (peek() != '-') bad();
    ++pos_;
    int year = 0;
    for (digits = 0; digits < 4; ++digits, ++pos_) {
      if (!is_digit(peek())) bad();
      year = year * 10 + (peek() - '0');
    }
    if (quoted) {
      if (peek() != '"') bad();
      ++pos_;
    }
    if (!at_end() && !is_space(peek()) && peek() != ')') bad();
    date::year_month_day ymd{date::year{year}, date::month{month}, date::day{d}};
    if (!ymd.ok()) fail(key + ": there is no such day", at);
    return date::sys_days{ymd}.time_since_epoch().count();
  }
};

}  // namespace

SearchQuery parse_search(std::string_view text) { return Parser(text).parse(); }

}  // namespace ximssd::mail::search
