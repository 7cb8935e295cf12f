// IMAP SEARCH (RFC 3501 section 6.4.4): the parser (every key, precedence, strings, sets,
// errors, limits) and the evaluator on ten realistic messages held in memory.
#include <gtest/gtest.h>

#include <date/date.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "base/base64.hpp"
#include "base/error.hpp"
#include "mail/message_flags.hpp"
#include "mail/message_ingest.hpp"
#include "mail/search/search_eval.hpp"
#include "mail/search/search_parser.hpp"

using namespace ximssd;
using namespace ximssd::mail::search;

namespace {

using K = SearchKeyKind;

std::string failure_text(std::string_view text) {
  try {
    parse_search(text);
  } catch (const Failure& failure) {
    EXPECT_EQ(failure.code(), ErrorCode::badRequest);
    return failure.what();
  }
  return "(parsed)";
}

// The canonical text of what `text` parses to.
std::string canonical(std::string_view text) { return to_string(parse_search(text)); }

std::string repeat(std::string_view piece, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += piece;
  return out;
}

}  // namespace

TEST(SearchParser, EveryKeyParsesToItsCanonicalForm) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ALL", "ALL"},
      {"ANSWERED", "ANSWERED"},
      {"BCC auditor", "BCC auditor"},
      {"BEFORE 1-Feb-1994", "BEFORE 1-Feb-1994"},
      {"BODY \"two words\"", "BODY \"two words\""},
      {"CC bob@example.com", "CC bob@example.com"},
      {"DELETED", "DELETED"},
      {"DRAFT", "DRAFT"},
      {"FLAGGED", "FLAGGED"},
      {"FROM smith", "FROM smith"},
      {"HEADER X-Foo bar", "HEADER X-Foo bar"},
      {"KEYWORD $Junk", "KEYWORD $Junk"},
      {"LARGER 1000", "LARGER 1000"},
      {"NEW", "NEW"},
      {"NOT SEEN", "NOT SEEN"},
      {"OLD", "OLD"},
      {"ON 09-Mar-2024", "ON 9-Mar-2024"},
      {"OR SEEN FLAGGED", "OR SEEN FLAGGED"},
      {"RECENT", "RECENT"},
      {"SEEN", "SEEN"},
      {"SENTBEFORE \"1-Jan-2000\"", "SENTBEFORE 1-Jan-2000"},
      {"SENTON 29-Feb-2024", "SENTON 29-Feb-2024"},
      {"SENTSINCE 31-Dec-1999", "SENTSINCE 31-Dec-1999"},
      {"SINCE 1-feb-1994", "SINCE 1-Feb-1994"},
      {"SMALLER 0", "SMALLER 0"},
      {"SUBJECT hello", "SUBJECT hello"},
      {"TEXT \"\"", "TEXT \"\""},
      {"TO alice", "TO alice"},
      {"UID 3:*", "UID 3:*"},
      {"UNANSWERED", "UNANSWERED"},
      {"UNDELETED", "UNDELETED"},
      {"UNDRAFT", "UNDRAFT"},
      {"UNFLAGGED", "UNFLAGGED"},
      {"UNKEYWORD $Work", "UNKEYWORD $Work"},
      {"UNSEEN", "UNSEEN"},
      {"1:5,9", "1:5,9"},
      {"YOUNGER 3600", "YOUNGER 3600"},
      {"OLDER 60", "OLDER 60"},
  };
  for (const auto& [input, expected] : cases) EXPECT_EQ(canonical(input), expected) << input;
}

TEST(SearchParser, KeysAreCaseInsensitiveAndSpacesAreLenient) {
  EXPECT_EQ(canonical("  subject Hello\tnot   seen \r\n"), "SUBJECT Hello NOT SEEN");
  auto query = parse_search("unseen");
  ASSERT_EQ(query.root.children.size(), 1u);
  EXPECT_EQ(query.root.kind, K::and_);
  EXPECT_EQ(query.root.children[0].kind, K::unseen);
}

TEST(SearchParser, TheBriefsExampleQuery) {
  auto query = parse_search(
      "CHARSET UTF-8 OR FROM \"smith\" (SUBJECT {5}\r\nhello NOT SEEN) 1:5,9 UID 3:* SINCE 1-Feb-1994 LARGER 1000 "
      "HEADER X-Foo bar KEYWORD $Junk");
  EXPECT_EQ(query.charset, "UTF-8");
  ASSERT_EQ(query.root.children.size(), 7u);
  const SearchKey& either = query.root.children[0];
  ASSERT_EQ(either.kind, K::or_);
  ASSERT_EQ(either.children.size(), 2u);
  EXPECT_EQ(either.children[0].kind, K::from);
  EXPECT_EQ(either.children[0].text, "smith");
  ASSERT_EQ(either.children[1].kind, K::and_);
  ASSERT_EQ(either.children[1].children.size(), 2u);
  EXPECT_EQ(either.children[1].children[0].text, "hello");
  EXPECT_EQ(either.children[1].children[1].kind, K::not_);
  EXPECT_EQ(query.root.children[1].kind, K::sequence_set);
  EXPECT_EQ(query.root.children[1].set, (std::vector<SequenceRange>{{1, 5}, {9, 9}}));
  EXPECT_EQ(query.root.children[2].set, (std::vector<SequenceRange>{{3, SequenceRange::kStar}}));
  EXPECT_EQ(query.root.children[3].number,
            (date::sys_days{date::year{1994} / 2 / 1}).time_since_epoch().count());
  EXPECT_EQ(query.root.children[4].number, 1000);
  EXPECT_EQ(query.root.children[5].field, "X-Foo");
  EXPECT_EQ(query.root.children[5].text, "bar");
  EXPECT_EQ(query.root.children[6].text, "$Junk");
  EXPECT_EQ(to_string(query),
            "OR FROM smith (SUBJECT hello NOT SEEN) 1:5,9 UID 3:* SINCE 1-Feb-1994 LARGER 1000 HEADER X-Foo bar "
            "KEYWORD $Junk");
}

TEST(SearchParser, OrAndNotTakeTheNextKeysAndListsGroup) {
  // OR and NOT bind to the following key (or list) only; everything else is ANDed.
  EXPECT_EQ(canonical("OR SEEN FLAGGED DELETED"), "OR SEEN FLAGGED DELETED");
  auto query = parse_search("OR SEEN FLAGGED DELETED");
  ASSERT_EQ(query.root.children.size(), 2u);
  EXPECT_EQ(query.root.children[0].kind, K::or_);
  EXPECT_EQ(query.root.children[1].kind, K::deleted);

  query = parse_search("NOT SEEN FLAGGED");
  ASSERT_EQ(query.root.children.size(), 2u);
  EXPECT_EQ(query.root.children[0].children[0].kind, K::seen);

  query = parse_search("NOT (SEEN FLAGGED)");
  ASSERT_EQ(query.root.children.size(), 1u);
  ASSERT_EQ(query.root.children[0].children[0].kind, K::and_);
  EXPECT_EQ(query.root.children[0].children[0].children.size(), 2u);

  query = parse_search("OR NOT SEEN OR FLAGGED DRAFT ANSWERED");
  ASSERT_EQ(query.root.children.size(), 2u);
  const SearchKey& outer = query.root.children[0];
  EXPECT_EQ(outer.children[0].kind, K::not_);
  EXPECT_EQ(outer.children[1].kind, K::or_);
  EXPECT_EQ(outer.children[1].children[1].kind, K::draft);
  EXPECT_EQ(query.root.children[1].kind, K::answered);

  EXPECT_EQ(canonical("OR (SEEN FLAGGED) ((DELETED))"), "OR (SEEN FLAGGED) ((DELETED))");
}

TEST(SearchParser, LiteralsQuotedStringsAndAtoms) {
  auto query = parse_search("SUBJECT {5}\r\nhello BODY {8+}\r\n(a)\r\n\"b\\ FROM x");
  ASSERT_EQ(query.root.children.size(), 3u);
  EXPECT_EQ(query.root.children[0].text, "hello");
  EXPECT_EQ(query.root.children[1].text, "(a)\r\n\"b\\");
  EXPECT_EQ(query.root.children[2].text, "x");
  EXPECT_EQ(parse_search("TEXT {0}\r\n").root.children[0].text, "");
  EXPECT_EQ(parse_search("TEXT {3}\nabc").root.children[0].text, "abc");  // a bare LF is accepted

  EXPECT_EQ(parse_search(R"(SUBJECT "say \"hi\" \\ now")").root.children[0].text, R"(say "hi" \ now)");
  EXPECT_EQ(parse_search("SUBJECT \"(not a list)\"").root.children[0].text, "(not a list)");
  EXPECT_EQ(parse_search("FROM a]b").root.children[0].text, "a]b");  // ASTRING-CHAR includes "]"
  EXPECT_EQ(parse_search("SUBJECT Gr\xC3\xBC\xC3\x9F" "e").root.children[0].text, "Gr\xC3\xBC\xC3\x9F" "e");

  // The printer quotes what it must and uses literals for line breaks; the result parses back.
  for (std::string text : {"SUBJECT \"a b\"", "BODY {4}\r\na\r\nb", R"(TEXT "q\"\\")", "HEADER \"X Y\" \"\"",
                           "FROM \"\"", "SUBJECT \"(x)\""}) {
    auto parsed = parse_search(text);
    EXPECT_EQ(parse_search(to_string(parsed)), parsed) << text;
  }
  EXPECT_EQ(canonical("BODY {4}\r\na\r\nb"), "BODY {4}\r\na\r\nb");
}

TEST(SearchParser, SequenceSets) {
  using R = SequenceRange;
  constexpr uint32_t star = R::kStar;
  EXPECT_EQ(parse_search("1:5,9,*,7:*,*:2").root.children[0].set,
            (std::vector<R>{{1, 5}, {9, 9}, {star, star}, {7, star}, {star, 2}}));
  EXPECT_EQ(parse_search("UID 4294967295").root.children[0].set, (std::vector<R>{{4294967295u, 4294967295u}}));
  EXPECT_EQ(parse_search("(1:2)").root.children[0].children[0].set, (std::vector<R>{{1, 2}}));
  EXPECT_EQ(canonical("5:1 UID *"), "5:1 UID *");
}

TEST(SearchParser, ErrorsSayWhatAndWhere) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "the search has no search key at offset 0"},
      {"   ", "the search has no search key at offset 3"},
      {"SEEN FOO", "unknown search key \"FOO\" at offset 5"},
      {"SEEN %", "expected a search key, found \"%\" at offset 5"},
      {"SINCE 31-Feb-1994", "SINCE: there is no such day at offset 6"},
      {"SINCE 1-Foo-1994", "SINCE needs a date (d-Mon-yyyy) at offset 6"},
      {"SINCE 1-Feb-94", "SINCE needs a date (d-Mon-yyyy) at offset 6"},
      {"ON \"1-Feb-1994", "ON needs a date (d-Mon-yyyy) at offset 3"},
      {"SUBJECT", "SUBJECT needs a string at offset 0"},
      {"SUBJECT\"x\"", "a space is missing at offset 7"},
      {"(SEEN", "the \"(\" is never closed at offset 0"},
      {"SEEN)", "unexpected \")\" at offset 4"},
      {"SEEN ()", "empty parenthesised list at offset 5"},
      {"0:5", "sequence numbers and UIDs start at 1 at offset 0"},
      {"1:5x", "unexpected \"x\" in a sequence set at offset 3"},
      {"1:", "expected a sequence number or \"*\" at offset 2"},
      {"4294967296", "the sequence number is larger than 4294967295 at offset 0"},
      {"LARGER x", "LARGER needs a number at offset 7"},
      {"LARGER 99999999999999999999", "LARGER's number is too large at offset 7"},
      {"SUBJECT {10}\r\nabc", "the literal of 10 bytes is longer than the rest of the search at offset 8"},
      {"SUBJECT {3}abc", "a literal's \"}\" must be followed by CRLF at offset 11"},
      {"SUBJECT {x}\r\n", "a literal needs its size: {n} at offset 8"},
      {"SUBJECT \"abc", "the quoted string is never closed at offset 8"},
      {"SUBJECT \"a\\nb\"", "invalid escape \"\\n\" in a quoted string at offset 10"},
      {"SUBJECT \"a\r\nb\"", "a quoted string cannot hold a line break or NUL at offset 10"},
      {"KEYWORD \\Seen", "KEYWORD needs a flag keyword (an atom) at offset 8"},
      {"OR SEEN", "OR needs two search keys at offset 0"},
      {"NOT", "NOT needs a search key at offset 0"},
      {"SEEN CHARSET UTF-8", "CHARSET must come first at offset 5"},
      {"CHARSET", "CHARSET needs a charset name at offset 0"},
      {"UID", "UID needs a sequence set at offset 0"},
      {"UID abc", "UID needs a sequence set at offset 4"},
      {"HEADER X-Foo", "HEADER needs a string after the field name at offset 0"},
      {"SUBJECT \"\xFF\"", "the string is not valid UTF-8 (name its CHARSET) at offset 8"},
      {"CHARSET US-ASCII SUBJECT \xC3", "the string is not valid UTF-8 (name its CHARSET) at offset 25"},
  };
  for (const auto& [input, expected] : cases) EXPECT_EQ(failure_text(input), expected) << input;
}

TEST(SearchParser, CharsetsAreConvertedToUtf8) {
  auto latin1 = parse_search("CHARSET ISO-8859-1 SUBJECT \"Gr\xFC\xDF" "e\" HEADER X-K\xF6ln {3}\r\nK\xF6l");
  EXPECT_EQ(latin1.charset, "ISO-8859-1");
  EXPECT_EQ(latin1.root.children[0].text, "Gr\xC3\xBC\xC3\x9F" "e");
  EXPECT_EQ(latin1.root.children[1].text, "K\xC3\xB6l");
  EXPECT_EQ(latin1.root.children[1].field, "X-K\xF6ln");  // field names are not converted
  EXPECT_EQ(parse_search("charset koi8-r BODY \xD0\xD2\xC9\xD7\xC5\xD4").root.children[0].text,
            "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");  // привет
  EXPECT_EQ(parse_search("CHARSET \"us-ascii\" FROM smith").root.children[0].text, "smith");
  EXPECT_EQ(parse_search("CHARSET latin1 FROM \xE9").root.children[0].text, "\xC3\xA9");  // GMime's alias
  EXPECT_EQ(failure_text("CHARSET UTF-16 FROM a"), "the string cannot be converted from its CHARSET to UTF-8 at offset 20");
}

TEST(SearchParser, UnknownCharsetIsItsOwnError) {
  try {
    parse_search("CHARSET X-NO-SUCH-CHARSET FROM smith");
    FAIL() << "parsed";
  } catch (const UnknownCharset& error) {
    EXPECT_EQ(error.charset(), "X-NO-SUCH-CHARSET");
    EXPECT_EQ(error.code(), ErrorCode::badRequest);
    EXPECT_STREQ(error.what(), "unknown search charset \"X-NO-SUCH-CHARSET\"");
  }
  EXPECT_THROW(parse_search("CHARSET \"\" ALL"), UnknownCharset);
}

TEST(SearchParser, LimitsAreParseErrors) {
  EXPECT_NO_THROW(parse_search(repeat("NOT ", 64) + "SEEN"));
  EXPECT_EQ(failure_text(repeat("NOT ", 65) + "SEEN"), "the search is nested more than 64 levels deep at offset 256");
  EXPECT_NO_THROW(parse_search(repeat("(", 64) + "SEEN" + repeat(")", 64)));
  EXPECT_EQ(failure_text(repeat("(", 65) + "SEEN" + repeat(")", 65)),
            "the search is nested more than 64 levels deep at offset 64");
  EXPECT_EQ(failure_text(repeat("OR SEEN ", 65) + "SEEN"),
            "the search is nested more than 64 levels deep at offset 512");
  // Deep nesting is refused long before the stack could suffer.
  EXPECT_NE(failure_text(repeat("(", 60000)).find("nested more than 64"), std::string::npos);
  EXPECT_NO_THROW(parse_search(repeat("SEEN ", 1024)));
  EXPECT_EQ(failure_text(repeat("SEEN ", 1025)), "the search has more than 1024 keys at offset 5120");
  EXPECT_EQ(failure_text(repeat("(SEEN) ", 513)), "the search has more than 1024 keys at offset 3584");
  EXPECT_NO_THROW(parse_search("SUBJECT \"" + std::string(kMaxSearchText - 10, 'a') + "\""));
  EXPECT_EQ(failure_text("SUBJECT \"" + std::string(kMaxSearchText, 'a') + "\""),
            "the search is longer than 65536 bytes at offset 65536");
}

TEST(SearchParser, PrintedQueriesParseBackUnchanged) {
  for (std::string text :
       {"OR FROM \"John Smith\" (SUBJECT {5}\r\nhello NOT SEEN) 1:5,9 UID 3:* SINCE 1-Feb-1994",
        "NOT OR (DELETED DRAFT) NOT KEYWORD $Junk HEADER \"X Spam\" {2}\r\n\r\n SENTON 1-Jan-0001",
        "CHARSET ISO-8859-1 TEXT caf\xE9 OR OR 1 2 3 YOUNGER 5 OLDER 6 SMALLER 7"}) {
    auto parsed = parse_search(text);
    auto again = parse_search(to_string(parsed));
    EXPECT_EQ(again.root, parsed.root) << text;
  }
}

// ---- Evaluation -----------------------------------------------------------------------------

namespace {

std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

int64_t utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  auto day = date::sys_days{date::year{y} / date::month{m} / date::day{d}};
  return (day + std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss})
      .time_since_epoch()
      .count();
}

struct Mailbox {
  std::vector<store::MessageRecord> records;
  std::vector<const store::MessageRecord*> row_pointers;
  std::map<int64_t, std::string> texts;  // by UID
  int header_reads = 0, message_reads = 0;
  int cached_row_header_reads = 0;  // reads of headers whose fields the row caches
  std::string zone = "UTC";

  void add(int64_t uid, std::string text, uint32_t flags, std::string keywords, int64_t internal_date,
           bool cached = true) {
    store::MessageRecord record;
    record.uid = uid;
    record.flags = flags;
    record.keywords = std::move(keywords);
    record.internal_date = internal_date;
    record.size = static_cast<int64_t>(text.size());
    if (cached) record.header = mail::cache_header(text);  // as the append path stores it
    records.push_back(record);
    texts[uid] = std::move(text);
  }

  // The records as a search reads them (rebuilt: adding a record moves the others).
  const std::vector<const store::MessageRecord*>& rows() {
    row_pointers.clear();
    for (const auto& record : records) row_pointers.push_back(&record);
    return row_pointers;
  }

  SearchContext context() {
    return SearchContext{
        .messages = rows(),
        .header_text =
            [this](const store::MessageRecord& m) {
              ++header_reads;
              if (m.header.header_size > 0) ++cached_row_header_reads;
              const std::string& text = texts.at(m.uid);
              size_t end = text.find("\r\n\r\n");
              return end == std::string::npos ? text : text.substr(0, end + 4);
            },
        .message_text =
            [this](const store::MessageRecord& m) {
              ++message_reads;
              return texts.at(m.uid);
            },
        .now = utc(1994, 2, 10),
        .time_zone = zone,
        .is_recent = [](int64_t uid) { return uid == 30 || uid == 31; },
    };
  }

  std::vector<int64_t> uids(std::string_view query) {
    auto parsed = parse_search(query);
    std::vector<int64_t> out;
    for (size_t index : evaluate(parsed, context())) out.push_back(records[index].uid);
    return out;
  }
};

using Uids = std::vector<int64_t>;

// Ten messages: plain, Latin-1 quoted-printable, a windows-1252 base64 alternative, an attachment
// and a forwarded message, a draft without Date, Cyrillic, a large one, HTML only, a row stored
// without cached header fields, and a recent reply.
class SearchEval : public ::testing::Test {
 protected:
  Mailbox box;

  void SetUp() override {
    using namespace ximssd::mail;
    box.add(3, crlf("Date: Tue, 1 Feb 1994 10:00:00 +0000\n"
                    "From: John Smith <smith@example.com>\n"
                    "To: Alice <alice@example.com>\n"
                    "Subject: Meeting tomorrow\n"
                    "Message-ID: <m1@example.com>\n"
                    "\n"
                    "Let's meet at noon in the lobby.\n"),
            kSeen | kAnswered, "$Work Project", utc(1994, 2, 1, 23, 30));
    box.add(5, crlf("Date: Wed, 2 Feb 1994 00:30:00 +0100\n"
                    "From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <joerg@example.de>\n"
                    "To: smith@example.com\n"
                    "Subject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: text/plain; charset=ISO-8859-1\n"
                    "Content-Transfer-Encoding: quoted-printable\n"
                    "\n"
                    "Sch=F6ne Gr=FC=DFe aus K=F6ln, und bis=\n"
                    " bald!\n"),
            0, "", utc(1994, 2, 2, 8));
    box.add(8, crlf("Date: Thu, 3 Feb 1994 12:00:00 -0500\n"
                    "From: Billing <billing@shop.example>\n"
                    "To: alice@example.com\n"
                    "Cc: Bob Jones <bob@example.com>\n"
                    "Bcc: auditor@example.com\n"
                    "Subject: Your invoice\n"
                    "X-Foo: bar\n"
                    "  baz\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/alternative; boundary=\"b1\"\n"
                    "\n"
                    "--b1\n"
                    "Content-Type: text/plain; charset=windows-1252\n"
                    "Content-Transfer-Encoding: base64\n"
                    "\n" +
                    base64_encode("Total: 20\x80 \x97 caf\xE9 cr\xE8me\r\n") +
                    "\n"
                    "--b1\n"
                    "Content-Type: text/html; charset=utf-8\n"
                    "\n"
                    "<html><body><p>Total: <b>20 EUR</b></p></body></html>\n"
                    "--b1--\n"),
            kFlagged, "", utc(1994, 2, 3, 17, 5));
    box.add(9, crlf("Date: Fri, 4 Feb 1994 09:00:00 +0000\n"
                    "From: Carol <carol@example.org>\n"
                    "To: alice@example.com\n"
                    "Subject: Fwd: report\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=\"m4\"\n"
                    "\n"
                    "--m4\n"
                    "Content-Type: text/plain\n"
                    "\n"
                    "See the attached report and the forwarded note.\n"
                    "--m4\n"
                    "Content-Type: application/octet-stream\n"
                    "Content-Transfer-Encoding: base64\n"
                    "\n" +
                    base64_encode("secretword inside a binary attachment") +
                    "\n"
                    "--m4\n"
                    "Content-Type: message/rfc822\n"
                    "\n"
                    "From: Dave <dave@example.net>\n"
                    "Subject: Inner subject\n"
                    "\n"
                    "inner body text\n"
                    "--m4--\n"),
            kSeen, "", utc(1994, 2, 4, 9, 1));
    box.add(12, crlf("From: Alice <alice@example.com>\n"
                     "To: team@example.com\n"
                     "Subject: Draft of the plan\n"
                     "\n"
                     "Plan: unfinished.\n"),
            kDeleted | kDraft, "", utc(1994, 2, 5, 10));
    box.add(13, crlf("Date: Sat, 5 Feb 1994 23:59:59 +0000\n"
                     "From: Ivan <ivan@example.ru>\n"
                     "To: alice@example.com\n"
                     "Subject: =?UTF-8?B?0J/QoNCY0JLQldCiINC80LjRgA==?=\n"  // ПРИВЕТ мир
                     "Content-Type: text/plain; charset=utf-8\n"
                     "Content-Transfer-Encoding: 8bit\n"
                     "\n"
                     "\xD0\x91\xD0\xBE\xD0\xBB\xD1\x8C\xD1\x88\xD0\xBE\xD0\xB9 "  // Большой
                     "\xD0\x9F\xD0\xA0\xD0\x98\xD0\x92\xD0\x95\xD0\xA2\n"),     // ПРИВЕТ
            0, "", utc(1994, 2, 6));
    box.add(20, crlf("Date: Sun, 6 Feb 1994 08:00:00 +0000\n"
                     "From: Lottery <win@lottery.example>\n"
                     "To: alice@example.com\n"
                     "Subject: You won\n"
                     "\n" +
                     std::string(5000, 'x') + "\n"),
            kJunk, "", utc(1994, 2, 6, 8));
    box.add(21, crlf("Date: Mon, 7 Feb 1994 08:00:00 +0000\n"
                     "From: News <news@example.com>\n"
                     "To: alice@example.com\n"
                     "Subject: Newsletter\n"
                     "Content-Type: text/html; charset=utf-8\n"
                     "\n"
                     "<html><head><style>p {color: red}</style></head>"
                     "<body><p>Hello <b>World</b> &amp; friends</p></body></html>\n"),
            0, "", utc(1994, 2, 7, 8));
    box.add(30, crlf("Date: Tue, 8 Feb 1994 08:00:00 +0000\n"
                     "From: Legacy Sender <legacy@example.com>\n"
                     "To: alice@example.com\n"
                     "Subject: Old row\n"
                     "\n"
                     "Old body.\n"),
            kSeen, "", utc(1994, 2, 8, 8), /*cached=*/false);
    box.add(31, crlf("Date: Wed, 9 Feb 1994 08:00:00 +0000\n"
                     "From: John Smith <smith@example.com>\n"
                     "To: alice@example.com\n"
                     "Subject: Re: Meeting tomorrow\n"
                     "In-Reply-To: <m1@example.com>\n"
                     "\n"
                     "Sounds good.\n"),
            0, "", utc(1994, 2, 9, 8));
  }

  Uids all_but(Uids left_out) {
    Uids out;
    for (const auto& record : box.records)
      if (std::find(left_out.begin(), left_out.end(), record.uid) == left_out.end()) out.push_back(record.uid);
    return out;
  }
};

}  // namespace

TEST_F(SearchEval, FlagKeys) {
  EXPECT_EQ(box.uids("ALL"), all_but({}));
  EXPECT_EQ(box.uids("SEEN"), (Uids{3, 9, 30}));
  EXPECT_EQ(box.uids("UNSEEN"), all_but({3, 9, 30}));
  EXPECT_EQ(box.uids("ANSWERED"), (Uids{3}));
  EXPECT_EQ(box.uids("UNANSWERED"), all_but({3}));
  EXPECT_EQ(box.uids("FLAGGED"), (Uids{8}));
  EXPECT_EQ(box.uids("UNFLAGGED"), all_but({8}));
  EXPECT_EQ(box.uids("DELETED"), (Uids{12}));
  EXPECT_EQ(box.uids("UNDELETED"), all_but({12}));
  EXPECT_EQ(box.uids("DRAFT"), (Uids{12}));
  EXPECT_EQ(box.uids("UNDRAFT"), all_but({12}));
  EXPECT_EQ(box.uids("RECENT"), (Uids{30, 31}));
  EXPECT_EQ(box.uids("NEW"), (Uids{31}));
  EXPECT_EQ(box.uids("OLD"), all_but({30, 31}));
  EXPECT_EQ(box.header_reads + box.message_reads, 0);
}

TEST_F(SearchEval, RecentNeedsTheCallersAnswer) {
  auto ctx = box.context();
  ctx.is_recent = nullptr;
  EXPECT_TRUE(evaluate(parse_search("RECENT"), ctx).empty());
  EXPECT_EQ(evaluate(parse_search("OLD"), ctx).size(), box.records.size());
}

TEST_F(SearchEval, Keywords) {
  EXPECT_EQ(box.uids("KEYWORD $Work"), (Uids{3}));
  EXPECT_EQ(box.uids("KEYWORD project"), (Uids{3}));
  EXPECT_EQ(box.uids("KEYWORD $Wor"), (Uids{}));
  EXPECT_EQ(box.uids("UNKEYWORD $Work"), all_but({3}));
  // XIMSS's own flag bits answer to their IMAP keyword names; system flags do not.
  EXPECT_EQ(box.uids("KEYWORD $Junk"), (Uids{20}));
  EXPECT_EQ(box.uids("KEYWORD Junk"), (Uids{20}));
  EXPECT_EQ(box.uids("KEYWORD Seen"), (Uids{}));
}

TEST_F(SearchEval, Sizes) {
  int64_t first = box.records[0].size;
  EXPECT_EQ(box.uids("LARGER 4000"), (Uids{20}));
  EXPECT_EQ(box.uids("SMALLER " + std::to_string(first + 1) + " UID 3"), (Uids{3}));
  EXPECT_EQ(box.uids("SMALLER " + std::to_string(first) + " UID 3"), (Uids{}));
  EXPECT_EQ(box.uids("LARGER " + std::to_string(first - 1) + " UID 3"), (Uids{3}));
  EXPECT_EQ(box.uids("LARGER " + std::to_string(first) + " UID 3"), (Uids{}));
}

TEST_F(SearchEval, UidAndSequenceSets) {
  EXPECT_EQ(box.uids("UID 8:12"), (Uids{8, 9, 12}));
  EXPECT_EQ(box.uids("UID 25:*"), (Uids{30, 31}));
  EXPECT_EQ(box.uids("UID *:25"), (Uids{30, 31}));
  EXPECT_EQ(box.uids("UID 100:*"), (Uids{31}));  // "*" is the largest UID, whatever n is
  EXPECT_EQ(box.uids("UID 1,13,31,4000"), (Uids{13, 31}));
  EXPECT_EQ(box.uids("1:3"), (Uids{3, 5, 8}));
  EXPECT_EQ(box.uids("*"), (Uids{31}));
  EXPECT_EQ(box.uids("2,4:5"), (Uids{5, 9, 12}));
  EXPECT_EQ(box.uids("9:*"), (Uids{30, 31}));
  EXPECT_EQ(box.uids("11:20"), (Uids{}));
  EXPECT_EQ(box.uids("NOT 2:9"), (Uids{3, 31}));
}

TEST_F(SearchEval, InternalDatesCountInTheServersDay) {
  EXPECT_EQ(box.uids("ON 1-Feb-1994"), (Uids{3}));  // 23:30 UTC is still the 1st
  EXPECT_EQ(box.uids("BEFORE 2-Feb-1994"), (Uids{3}));
  EXPECT_EQ(box.uids("SINCE 6-Feb-1994"), (Uids{13, 20, 21, 30, 31}));  // 13 arrived at 00:00:00
  EXPECT_EQ(box.uids("BEFORE 6-Feb-1994 SINCE 5-Feb-1994"), (Uids{12}));
  EXPECT_EQ(box.uids("ON 31-Jan-1994"), (Uids{}));
  box.zone = "Europe/Berlin";  // UTC+1 in February
  EXPECT_EQ(box.uids("ON 1-Feb-1994"), (Uids{}));
  EXPECT_EQ(box.uids("ON 2-Feb-1994"), (Uids{3, 5}));
  box.zone = "America/New_York";  // UTC-5
  EXPECT_EQ(box.uids("ON 5-Feb-1994"), (Uids{12, 13}));
  EXPECT_EQ(box.uids("SINCE 6-Feb-1994"), (Uids{20, 21, 30, 31}));
  EXPECT_EQ(box.header_reads + box.message_reads, 0);
}

TEST_F(SearchEval, SentDatesUseTheDateFieldsOwnDay) {
  // 00:30 +0100 on the 2nd is 23:30 UTC on the 1st: the field's own day counts.
  EXPECT_EQ(box.uids("SENTON 2-Feb-1994"), (Uids{5}));
  EXPECT_EQ(box.uids("SENTON 1-Feb-1994"), (Uids{3}));
  EXPECT_EQ(box.uids("SENTBEFORE 2-Feb-1994"), (Uids{3}));
  EXPECT_EQ(box.uids("SENTON 3-Feb-1994"), (Uids{8}));
  // Without a Date field the internal date stands in (12); 13 was sent a second before midnight.
  EXPECT_EQ(box.uids("SENTON 5-Feb-1994"), (Uids{12, 13}));
  EXPECT_EQ(box.uids("SENTSINCE 9-Feb-1994"), (Uids{31}));
  EXPECT_EQ(box.uids("SENTON 8-Feb-1994"), (Uids{30}));  // the row without cached fields
  // The zone of the server does not move sent dates.
  box.zone = "Pacific/Kiritimati";
  EXPECT_EQ(box.uids("SENTON 2-Feb-1994"), (Uids{5}));
}

TEST_F(SearchEval, SentDatesFarFromTheDayReadNoHeader) {
  EXPECT_EQ(box.uids("SENTBEFORE 1-Jan-1990"), (Uids{}));
  EXPECT_EQ(box.uids("SENTSINCE 1-Jan-1990 SENTBEFORE 1-Jan-2000"), all_but({}));
  EXPECT_EQ(box.cached_row_header_reads, 0);
  EXPECT_EQ(box.header_reads, 2);  // once per query: the row without cached fields
  EXPECT_EQ(box.message_reads, 0);
}

TEST_F(SearchEval, YoungerAndOlderCountFromNow) {
  // "now" is 10-Feb-1994 00:00 UTC; 31 arrived 16 hours before.
  EXPECT_EQ(box.uids("YOUNGER 57600"), (Uids{31}));
  EXPECT_EQ(box.uids("YOUNGER 57599"), (Uids{}));
  EXPECT_EQ(box.uids("OLDER 57600 UID 30:*"), (Uids{30}));
}

TEST_F(SearchEval, AddressAndSubjectKeysUseTheCachedDecodedFields) {
  EXPECT_EQ(box.uids("FROM smith"), (Uids{3, 31}));
  EXPECT_EQ(box.uids("FROM \"J\xC3\x96RG M\xC3\x9CLLER\""), (Uids{5}));  // JÖRG MÜLLER
  EXPECT_EQ(box.uids("TO smith@EXAMPLE.com"), (Uids{5}));
  EXPECT_EQ(box.uids("CC \"bob jones\""), (Uids{8}));
  EXPECT_EQ(box.uids("SUBJECT \"gr\xC3\xBC\xC3\x9F" "e aus\""), (Uids{5}));
  EXPECT_EQ(box.uids("SUBJECT \"GR\xC3\x9CSSE\""), (Uids{5}));  // ß folds to ss
  EXPECT_EQ(box.uids("SUBJECT \xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"), (Uids{13}));  // привет
  EXPECT_EQ(box.uids("SUBJECT meeting"), (Uids{3, 31}));
  EXPECT_EQ(box.uids("SUBJECT \"\""), all_but({}));
  EXPECT_EQ(box.cached_row_header_reads, 0);
  // A row stored without cached fields is answered from its header.
  EXPECT_EQ(box.uids("FROM legacy SUBJECT \"old row\""), (Uids{30}));
  EXPECT_EQ(box.message_reads, 0);
}

TEST_F(SearchEval, HeaderAndBccReadTheHeader) {
  EXPECT_EQ(box.uids("BCC auditor"), (Uids{8}));
  EXPECT_EQ(box.uids("HEADER X-Foo \"bar  baz\""), (Uids{8}));  // unfolded: the line break goes
  EXPECT_EQ(box.uids("HEADER x-foo \"\""), (Uids{8}));           // an empty string asks for the field
  EXPECT_EQ(box.uids("HEADER X-None \"\""), (Uids{}));
  EXPECT_EQ(box.uids("HEADER In-Reply-To m1@example"), (Uids{31}));
  EXPECT_EQ(box.uids("HEADER Subject k\xC3\xB6ln"), (Uids{5}));  // decoded
  EXPECT_EQ(box.uids("HEADER Content-Transfer-Encoding base64"), (Uids{}));  // not the parts' fields
  EXPECT_EQ(box.message_reads, 0);
  EXPECT_GT(box.header_reads, 0);
}

TEST_F(SearchEval, BodySearchDecodesTextPartsOnly) {
  EXPECT_EQ(box.uids("BODY cr\xC3\xA8me"), (Uids{8}));            // base64, windows-1252
  EXPECT_EQ(box.uids("BODY \"20\xE2\x82\xAC \xE2\x80\x94 CAF\xC3\x89\""), (Uids{8}));  // 20€ — CAFÉ
  EXPECT_EQ(box.uids("BODY \"sch\xC3\xB6ne gr\xC3\xBCsse\""), (Uids{5}));  // quoted-printable, Latin-1
  EXPECT_EQ(box.uids("BODY \"bis bald\""), (Uids{5}));            // soft line break joined
  EXPECT_EQ(box.uids("BODY secretword"), (Uids{}));               // application/octet-stream
  EXPECT_EQ(box.uids("BODY \"inner body\""), (Uids{9}));          // an attached message
  EXPECT_EQ(box.uids("BODY \"hello world & friends\""), (Uids{21}));  // HTML as a reader sees it
  EXPECT_EQ(box.uids("BODY color"), (Uids{}));
  EXPECT_EQ(box.uids("BODY \"<b>\""), (Uids{}));
  EXPECT_EQ(box.uids("BODY \"\xD0\xB1\xD0\xBE\xD0\xBB\xD1\x8C\xD1\x88\xD0\xBE\xD0\xB9\""), (Uids{13}));  // большой
  EXPECT_EQ(box.uids("BODY invoice"), (Uids{}));  // the header is not the body
  EXPECT_EQ(box.header_reads, 0);
}

TEST_F(SearchEval, TextSearchesHeaderAndBody) {
  EXPECT_EQ(box.uids("TEXT \"your invoice\""), (Uids{8}));
  EXPECT_EQ(box.uids("TEXT \"subject: your invoice\""), (Uids{8}));
  EXPECT_EQ(box.uids("TEXT lobby"), (Uids{3}));
  EXPECT_EQ(box.uids("TEXT \"inner subject\""), (Uids{9}));
  EXPECT_EQ(box.uids("TEXT auditor"), (Uids{8}));
  EXPECT_EQ(box.uids("TEXT k\xC3\xB6ln"), (Uids{5}));
  EXPECT_EQ(box.header_reads, 0);  // the header comes from the same read as the body
}

TEST_F(SearchEval, Combinations) {
  EXPECT_EQ(box.uids("OR FROM smith FLAGGED"), (Uids{3, 8, 31}));
  EXPECT_EQ(box.uids("NOT SEEN SINCE 8-Feb-1994"), (Uids{31}));
  EXPECT_EQ(box.uids("(OR ANSWERED FLAGGED) UNSEEN"), (Uids{8}));
  EXPECT_EQ(box.uids("OR (SEEN ANSWERED) DELETED"), (Uids{3, 12}));
  EXPECT_EQ(box.uids("NOT OR SEEN UNDELETED"), (Uids{12}));
  EXPECT_EQ(box.uids("SINCE 1-Feb-2008 NOT FROM Smith OR SUBJECT test SUBJECT xxx"), (Uids{}));
  EXPECT_EQ(box.uids("SINCE 1-Feb-1994 NOT FROM Smith OR SUBJECT fwd SUBJECT won"), (Uids{9, 20}));
  EXPECT_EQ(box.uids("CHARSET UTF-8 OR BODY lobby HEADER X-Foo bar UID 1:8"), (Uids{3, 8}));
}

TEST_F(SearchEval, CheapKeysDecideBeforeTheBodyIsRead) {
  EXPECT_EQ(box.uids("BODY total FLAGGED"), (Uids{8}));
  EXPECT_EQ(box.message_reads, 1);
  EXPECT_EQ(box.uids("HEADER X-Foo bar UID 8"), (Uids{8}));
  EXPECT_EQ(box.header_reads, 1);
  // A message is read once however many keys need it.
  box.message_reads = 0;
  EXPECT_EQ(box.uids("BODY total OR TEXT invoice BODY eur UID 8"), (Uids{8}));
  EXPECT_EQ(box.message_reads, 1);
}

TEST_F(SearchEval, QueriesInOtherCharsets) {
  EXPECT_EQ(box.uids("CHARSET ISO-8859-1 SUBJECT \"gr\xFC\xDF" "e\""), (Uids{5}));
  EXPECT_EQ(box.uids("CHARSET ISO-8859-1 BODY \"sch\xF6ne\""), (Uids{5}));
  EXPECT_EQ(box.uids("CHARSET WINDOWS-1252 BODY \"20\x80\""), (Uids{8}));
  EXPECT_EQ(box.uids("CHARSET KOI8-R SUBJECT \xD0\xD2\xC9\xD7\xC5\xD4"), (Uids{13}));  // привет
}

TEST_F(SearchEval, DeadlineExpiry) {
  auto query = parse_search("BODY \"\"");
  auto past = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  try {
    evaluate(query, box.context(), past);
    FAIL() << "no timeout";
  } catch (const Failure& failure) {
    EXPECT_EQ(failure.code(), ErrorCode::limitExceeded);
    EXPECT_STREQ(failure.what(), "search timed out");
  }
  EXPECT_EQ(evaluate(query, box.context(), std::chrono::steady_clock::now() + std::chrono::minutes(1)).size(), 10u);

  // The partial form stops where the time ran out (after one message at least), to be resumed.
  SearchBounds bounds{.first = 2, .deadline = past};
  auto progress = evaluate_partially(query, box.context(), bounds);
  EXPECT_EQ(progress.matches, (std::vector<size_t>{2}));
  EXPECT_EQ(progress.next, 3u);

  // Slow reads: the search stops part of the way through.
  auto ctx = box.context();
  ctx.message_text = [&](const store::MessageRecord& m) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return box.texts.at(m.uid);
  };
  bounds = {.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(45)};
  progress = evaluate_partially(query, ctx, bounds);
  ASSERT_TRUE(progress.next.has_value());
  EXPECT_GE(*progress.next, 1u);
  EXPECT_LT(*progress.next, 10u);
  EXPECT_EQ(progress.matches.size(), *progress.next);
}

TEST_F(SearchEval, PartialSearchStopsAtTheLimitAndResumes) {
  auto query = parse_search("UNSEEN");
  auto progress = evaluate_partially(query, box.context(), {.max_matches = 2});
  EXPECT_EQ(progress.matches, (std::vector<size_t>{1, 2}));
  EXPECT_EQ(progress.next, 3u);
  progress = evaluate_partially(query, box.context(), {.first = 3, .max_matches = 2});
  EXPECT_EQ(progress.matches, (std::vector<size_t>{4, 5}));
  progress = evaluate_partially(query, box.context(), {.first = 8, .max_matches = 2});
  EXPECT_EQ(progress.matches, (std::vector<size_t>{9}));
  EXPECT_FALSE(progress.next.has_value());
  progress = evaluate_partially(query, box.context(), {.first = 9, .max_matches = 1});
  EXPECT_EQ(progress.matches, (std::vector<size_t>{9}));
  EXPECT_FALSE(progress.next.has_value());  // the last message: nothing left to resume
}

TEST_F(SearchEval, EmptyMailboxAndMissingReaders) {
  std::vector<const store::MessageRecord*> none;
  SearchContext empty{.messages = none};
  EXPECT_TRUE(evaluate(parse_search("* UID 1:* BODY x"), empty).empty());
  // Without readers a body is empty and the header comes from nowhere.
  SearchContext bare{.messages = box.rows(), .time_zone = "UTC"};
  EXPECT_EQ(evaluate(parse_search("BODY lobby"), bare).size(), 0u);
  EXPECT_EQ(evaluate(parse_search("FROM smith"), bare).size(), 2u);
  // With the header reader only, TEXT still finds what the header holds.
  auto headers_only = box.context();
  headers_only.message_text = nullptr;
  EXPECT_EQ(evaluate(parse_search("TEXT \"your invoice\""), headers_only), (std::vector<size_t>{2}));
  EXPECT_EQ(evaluate(parse_search("BODY total"), headers_only).size(), 0u);
}
