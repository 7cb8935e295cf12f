// IMAP command syntax: framing of commands with literals (sync and LITERAL+), the limits, the
// argument readers on RFC 3501's examples, and sequence sets.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "imap/command_framer.hpp"
#include "imap/command_parser.hpp"
#include "imap/sequence_set.hpp"

using namespace ximssd::imap;

namespace {

// Every event of `framer` after feeding `input`, as text: "cmd:<text>", "cont:<tag>:<n>",
// "long:<tag>", "big:<tag>:<n>:<sync|nonsync>".
std::vector<std::string> drain(CommandFramer& framer) {
  std::vector<std::string> out;
  while (auto e = framer.next()) {
    switch (e->kind) {
      case CommandFramer::Kind::command: out.push_back("cmd:" + std::string(e->text)); break;
      case CommandFramer::Kind::continuation_needed:
        out.push_back("cont:" + std::string(e->tag) + ":" + std::to_string(e->literal_size));
        break;
      case CommandFramer::Kind::line_too_long: out.push_back("long:" + std::string(e->tag)); break;
      case CommandFramer::Kind::literal_too_large:
        out.push_back("big:" + std::string(e->tag) + ":" + std::to_string(e->literal_size) +
                      (e->synchronizing ? ":sync" : ":nonsync"));
        break;
    }
  }
  return out;
}

std::vector<std::string> frame(std::string_view input, CommandFramer::Limits limits = {}) {
  CommandFramer framer(limits);
  framer.feed(input);
  return drain(framer);
}

using Events = std::vector<std::string>;

}  // namespace

TEST(ImapFramer, SplitsCommandsAndKeepsLiteralsInline) {
  EXPECT_EQ(frame("A1 NOOP\r\nA2 APPEND INBOX {5}\r\nhello\r\nA3 LOGOUT\r\n"),
            (Events{"cmd:A1 NOOP", "cont:A2:5", "cmd:A2 APPEND INBOX {5}\r\nhello", "cmd:A3 LOGOUT"}));
}

TEST(ImapFramer, NonSynchronizingLiteralNeedsNoContinuation) {
  EXPECT_EQ(frame("A1 LOGIN {4+}\r\nfred {3+}\r\npw!\r\n"), (Events{"cmd:A1 LOGIN {4+}\r\nfred {3+}\r\npw!"}));
}

TEST(ImapFramer, LiteralMayContainCrlfAndBraces) {
  EXPECT_EQ(frame("a APPEND x {9}\r\n{2}\r\nab\r\n\r\n"), (Events{"cont:a:9", "cmd:a APPEND x {9}\r\n{2}\r\nab\r\n"}));
}

TEST(ImapFramer, SameEventsWhenSplitAtEveryByte) {
  const std::string input =
      "A1 LOGIN fred \"pw\"\r\n\r\nA2 APPEND INBOX (\\Seen) {11}\r\nHello\r\nWorld\r\n"
      "A3 LOGIN {4+}\r\nfred {0}\r\n\r\nA4 NOOP\n";
  const Events whole = frame(input);
  ASSERT_EQ(whole, (Events{"cmd:A1 LOGIN fred \"pw\"", "cont:A2:11", "cmd:A2 APPEND INBOX (\\Seen) {11}\r\nHello\r\nWorld",
                           "cont:A3:0", "cmd:A3 LOGIN {4+}\r\nfred {0}\r\n", "cmd:A4 NOOP"}));
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    CommandFramer framer;
    framer.feed(input.substr(0, cut));
    Events got = drain(framer);
    framer.feed(input.substr(cut));
    for (auto& e : drain(framer)) got.push_back(e);
    EXPECT_EQ(got, whole) << "cut at " << cut;
  }
  // And one byte at a time through prepare/commit.
  CommandFramer framer;
  Events got;
  for (char c : input) {
    char* space = framer.prepare(16);
    space[0] = c;
    framer.commit(1);
    for (auto& e : drain(framer)) got.push_back(e);
  }
  EXPECT_EQ(got, whole);
  EXPECT_FALSE(framer.partial());
}

TEST(ImapFramer, TooLongLineIsReportedOnceAndSkipped) {
  CommandFramer::Limits limits;
  limits.max_line = 16;
  EXPECT_EQ(frame("A1 SELECT aVeryLongMailboxName\r\nA2 NOOP\r\n", limits), (Events{"long:A1", "cmd:A2 NOOP"}));
  // Arriving in pieces, with no CRLF yet: reported as soon as it is too long, nothing kept.
  CommandFramer framer(limits);
  framer.feed("A1 SELECT aVeryLong");
  EXPECT_EQ(drain(framer), (Events{"long:A1"}));
  framer.feed(std::string(1000, 'x'));
  EXPECT_EQ(drain(framer), Events{});
  EXPECT_EQ(framer.buffered(), 0u);
  framer.feed("xx\r\nA2 NOOP\r\n");
  EXPECT_EQ(drain(framer), (Events{"cmd:A2 NOOP"}));
  // The line after a literal is limited too, and a skipped line's non-synchronizing literal is
  // skipped with it.
  EXPECT_EQ(frame("A1 X {3+}\r\nabcSOMEVERYLONGLINEHERE {4+}\r\n\r\nxy\r\nA2 NOOP\r\n", limits),
            (Events{"long:A1", "cmd:A2 NOOP"}));
}

TEST(ImapFramer, TooLargeSynchronizingLiteralEndsTheCommand) {
  CommandFramer::Limits limits;
  limits.max_literal = 100;
  // The client waits for "+", which never comes, and sends its next command.
  EXPECT_EQ(frame("A1 APPEND INBOX {101}\r\nA2 NOOP\r\n", limits), (Events{"big:A1:101:sync", "cmd:A2 NOOP"}));
  EXPECT_EQ(frame("A1 APPEND INBOX {99999999999999999999999}\r\nA2 NOOP\r\n", limits),
            (Events{"big:A1:18446744073709551615:sync", "cmd:A2 NOOP"}));
}

TEST(ImapFramer, TooLargeNonSynchronizingLiteralIsSkipped) {
  CommandFramer::Limits limits;
  limits.max_literal = 4;
  const std::string input = "A1 APPEND INBOX {6+}\r\nhello\n {2+}\r\nab\r\nA2 NOOP\r\n";
  EXPECT_EQ(frame(input, limits), (Events{"big:A1:6:nonsync", "cmd:A2 NOOP"}));
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    CommandFramer framer(limits);
    framer.feed(input.substr(0, cut));
    Events got = drain(framer);
    framer.feed(input.substr(cut));
    for (auto& e : drain(framer)) got.push_back(e);
    EXPECT_EQ(got, (Events{"big:A1:6:nonsync", "cmd:A2 NOOP"})) << "cut at " << cut;
  }
}

TEST(ImapFramer, CommandSizeIsLimitedAcrossLiterals) {
  CommandFramer::Limits limits;
  limits.max_literal = 10;
  limits.max_command = 40;
  EXPECT_EQ(frame("A1 X {10+}\r\n0123456789 {10+}\r\n0123456789 {10}\r\nA2 NOOP\r\n", limits),
            (Events{"big:A1:10:sync", "cmd:A2 NOOP"}));
}

TEST(ImapFramer, ReleasesItsBufferWhenIdle) {
  CommandFramer framer;
  framer.feed("A1 NOOP\r\nA2 NO");
  EXPECT_EQ(drain(framer), (Events{"cmd:A1 NOOP"}));
  EXPECT_TRUE(framer.partial());
  framer.release_if_idle();
  framer.feed("OP\r\n");
  EXPECT_EQ(drain(framer), (Events{"cmd:A2 NOOP"}));
  EXPECT_FALSE(framer.partial());
  framer.release_if_idle();
  EXPECT_EQ(framer.buffered(), 0u);
  // Mid-literal the command is kept.
  framer.feed("A3 X {3}\r\nab");
  EXPECT_EQ(drain(framer), (Events{"cont:A3:3"}));
  framer.release_if_idle();
  framer.feed("c\r\n");
  EXPECT_EQ(drain(framer), (Events{"cmd:A3 X {3}\r\nabc"}));
}

TEST(ImapParser, Login) {
  Command c = parse_command("a001 login SMITH \"sesame\"");
  EXPECT_EQ(c.tag, "a001");
  EXPECT_EQ(c.name, "LOGIN");
  c.args.sp();
  EXPECT_EQ(c.args.astring(), "SMITH");
  c.args.sp();
  EXPECT_EQ(c.args.astring(), "sesame");
  EXPECT_TRUE(c.args.at_end());
  c.args.expect_end();
}

TEST(ImapParser, LoginWithLiterals) {
  Command c = parse_command("A1 LOGIN {4}\r\nfred {5+}\r\n\"a b\"");
  c.args.sp();
  EXPECT_EQ(c.args.astring(), "fred");
  c.args.sp();
  EXPECT_EQ(c.args.astring(), "\"a b\"");
  c.args.expect_end();
}

TEST(ImapParser, SelectMailboxNames) {
  Command c = parse_command("A142 SELECT INBOX");
  EXPECT_EQ(c.name, "SELECT");
  c.args.sp();
  EXPECT_EQ(c.args.astring(), "INBOX");
  Command d = parse_command("A2 select \"Sent &AMQ-\\\\ \\\"x\\\"\"");
  d.args.sp();
  EXPECT_EQ(d.args.astring(), "Sent &AMQ-\\ \"x\"");
  d.args.expect_end();
}

TEST(ImapParser, FetchBodySectionWithPartial) {
  Command c = parse_command("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)]<0.100>)");
  EXPECT_EQ(c.name, "FETCH");
  auto& a = c.args;
  a.sp();
  SequenceSet set = a.sequence_set();
  EXPECT_EQ(set.to_string(), "2:4");
  a.sp();
  a.list_begin();
  EXPECT_EQ(a.keyword(), "FLAGS");
  a.sp();
  EXPECT_EQ(a.keyword(), "BODY");
  Section s = a.section();
  EXPECT_TRUE(s.part.empty());
  EXPECT_EQ(s.text, Section::Text::header_fields);
  EXPECT_EQ(s.fields, (std::vector<std::string>{"DATE", "FROM"}));
  auto p = a.partial();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->offset, 0u);
  EXPECT_EQ(p->length, 100u);
  a.list_end();
  a.expect_end();
}

TEST(ImapParser, FetchSectionsOfParts) {
  ArgumentReader a("BODY.PEEK[1.2.mime] BODY[] BODY[3] BODY[4.TEXT] BODY[MIME]");
  EXPECT_EQ(a.keyword(), "BODY.PEEK");
  EXPECT_EQ(a.section(), (Section{{1, 2}, Section::Text::mime, {}}));
  EXPECT_FALSE(a.partial());
  a.sp();
  EXPECT_EQ(a.keyword(), "BODY");
  EXPECT_EQ(a.section(), Section{});
  a.sp();
  a.keyword();
  EXPECT_EQ(a.section(), (Section{{3}, Section::Text::none, {}}));
  a.sp();
  a.keyword();
  EXPECT_EQ(a.section(), (Section{{4}, Section::Text::text, {}}));
  a.sp();
  a.keyword();
  EXPECT_THROW(a.section(), SyntaxError);  // MIME needs a part
}

TEST(ImapParser, StoreFlagsSilent) {
  Command c = parse_command("A003 STORE 2:4 +FLAGS.SILENT (\\Deleted $Label)");
  auto& a = c.args;
  a.sp();
  EXPECT_EQ(a.sequence_set().ranges(), (std::vector<SequenceSet::Range>{{2, 4}}));
  a.sp();
  EXPECT_TRUE(a.accept_word("+flags.silent"));
  a.sp();
  EXPECT_EQ(a.flag_list(), (std::vector<std::string>{"\\Deleted", "$Label"}));
  a.expect_end();
  ArgumentReader empty("()");
  EXPECT_TRUE(empty.flag_list().empty());
}

TEST(ImapParser, AppendWithFlagsDateTimeAndLiteral) {
  Command c = parse_command("A003 APPEND saved-messages (\\Seen) \" 7-Feb-1994 21:52:25 -0800\" {23}\r\n"
                            "Date: Mon, 7 Feb 1994\r\n");
  EXPECT_EQ(c.name, "APPEND");
  auto& a = c.args;
  a.sp();
  EXPECT_EQ(a.astring(), "saved-messages");
  a.sp();
  ASSERT_EQ(a.peek(), '(');
  EXPECT_EQ(a.flag_list(), (std::vector<std::string>{"\\Seen"}));
  a.sp();
  ASSERT_EQ(a.peek(), '"');
  DateTime t = a.date_time();
  EXPECT_EQ(t.date, (Date{1994, 2, 7}));
  EXPECT_EQ(t.hour, 21);
  EXPECT_EQ(t.zone_minutes, -480);
  EXPECT_EQ(t.unix_time(), 760686745);  // 1994-02-08 05:52:25 UTC
  a.sp();
  EXPECT_EQ(a.string(), "Date: Mon, 7 Feb 1994\r\n");
  a.expect_end();
}

TEST(ImapParser, UidCommandsNameTwoWords) {
  Command c = parse_command("A999 uid fetch 4827313:4828442 FLAGS");
  EXPECT_EQ(c.name, "UID FETCH");
  c.args.sp();
  EXPECT_EQ(c.args.sequence_set().to_string(), "4827313:4828442");
  c.args.sp();
  EXPECT_EQ(c.args.atom(), "FLAGS");
  Command s = parse_command("A1 UID SEARCH 1:* UNSEEN");
  EXPECT_EQ(s.name, "UID SEARCH");
  s.args.sp();
  EXPECT_EQ(s.args.rest(), "1:* UNSEEN");
  EXPECT_TRUE(s.args.at_end());
  EXPECT_EQ(parse_command("A1 NOOP").name, "NOOP");
  EXPECT_TRUE(parse_command("A1 NOOP").args.at_end());
}

TEST(ImapParser, DatesAndNumbers) {
  ArgumentReader a("1-Feb-1994 \"29-feb-2000\" 4294967295 0 18446744073709551615");
  EXPECT_EQ(a.date(), (Date{1994, 2, 1}));
  a.sp();
  EXPECT_EQ(a.date(), (Date{2000, 2, 29}));
  a.sp();
  EXPECT_EQ(a.number(), 4294967295u);
  a.sp();
  EXPECT_THROW(a.nz_number(), SyntaxError);
  EXPECT_EQ(a.number(), 0u);
  a.sp();
  EXPECT_THROW(a.number64(), SyntaxError);
  EXPECT_THROW(ArgumentReader("29-Feb-1900").date(), SyntaxError);
  EXPECT_THROW(ArgumentReader("4294967296").number(), SyntaxError);
  EXPECT_THROW(ArgumentReader("\"01-Feb-1994 24:00:00 +0000\"").date_time(), SyntaxError);
  EXPECT_EQ(ArgumentReader("\"01-Feb-1994 10:00:00 +0000\"").date_time().unix_time(), 760096800);
}

TEST(ImapParser, NstringAndEscapes) {
  ArgumentReader a("NIL \"a\\\\b\\\"c\" {0}\r\n");
  EXPECT_EQ(a.nstring(), std::nullopt);
  a.sp();
  EXPECT_EQ(a.nstring(), "a\\b\"c");
  a.sp();
  EXPECT_EQ(a.nstring(), "");
  a.expect_end();
}

TEST(ImapParser, ErrorsSayWhatAndWhere) {
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const SyntaxError& e) {
      return std::string(e.what()) + "|" + std::to_string(e.offset());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([] { parse_command("A1"); }), "expected a space (found the end of the command) at offset 2|2");
  EXPECT_EQ(message([] { parse_command("+1 NOOP"); }), "expected a tag at offset 0|0");
  EXPECT_EQ(message([] { parse_command("A1+ NOOP"); }), "invalid character in the tag at offset 2|2");
  EXPECT_EQ(message([] { ArgumentReader("\"abc").string(); }), "unterminated quoted string at offset 0|0");
  EXPECT_EQ(message([] { ArgumentReader("\"a\\b\"").string(); }),
            "only \\\" and \\\\ may be escaped in a quoted string at offset 3|3");
  EXPECT_EQ(message([] { ArgumentReader("{10}\r\nabc").string(); }), "literal is longer than the command at offset 6|6");
  EXPECT_EQ(message([] { ArgumentReader("x 1:").sequence_set(); }), "expected a sequence set at offset 0|0");
  EXPECT_EQ(message([] { ArgumentReader("(\\Seen").flag_list(); }),
            "expected a space (found the end of the command) at offset 6|6");
  EXPECT_EQ(message([] { ArgumentReader("BODY[HEADER.BOGUS]").keyword(); }), "no error");
  EXPECT_EQ(message([] { ArgumentReader("[HEADER.BOGUS]").section(); }), "unknown section text at offset 1|1");
  EXPECT_EQ(message([] { ArgumentReader("FOO").nstring(); }), "expected NIL, a quoted string or a literal at offset 0|0");
  EXPECT_EQ(message([] { ArgumentReader("x").expect_end(); }), "unexpected text after the arguments at offset 0|0");
  EXPECT_EQ(message([] { ArgumentReader("a\"b").astring(); }), "no error");
}

TEST(ImapParser, SyntaxErrorIsABadRequestFailure) {
  try {
    parse_command("");
    FAIL();
  } catch (const ximssd::Failure& f) {
    EXPECT_EQ(f.code(), ximssd::ErrorCode::badRequest);
  }
  EXPECT_EQ(tag_of("A1 BOGUS( x"), "A1");
}

TEST(ImapSequenceSet, ParsesRangesAndStar) {
  auto set = SequenceSet::parse("1:3,5,7:*");
  ASSERT_TRUE(set);
  EXPECT_EQ(set->ranges(), (std::vector<SequenceSet::Range>{{1, 3}, {5, 5}, {7, SequenceSet::kStar}}));
  EXPECT_EQ(set->to_string(), "1:3,5,7:*");
  EXPECT_TRUE(set->contains(2, 10));
  EXPECT_FALSE(set->contains(4, 10));
  EXPECT_TRUE(set->contains(10, 10));
  EXPECT_FALSE(set->contains(11, 10));
  EXPECT_EQ(set->expand(8), (std::vector<uint32_t>{1, 2, 3, 5, 7, 8}));
  for (std::string_view bad : {"", "0", "1:", ":1", "1,,2", "01", "4294967296", "1:2:3", "a", "$,1", "1,"})
    EXPECT_FALSE(SequenceSet::parse(bad)) << bad;
}

TEST(ImapSequenceSet, ReversedRangesAndStarBeyondMax) {
  auto set = SequenceSet::parse("3:1");
  ASSERT_TRUE(set);
  EXPECT_EQ(set->expand(10), (std::vector<uint32_t>{1, 2, 3}));
  // "100:*" with 50 messages is "50:100": it holds the last message (RFC 3501 6.4.8).
  auto star = SequenceSet::parse("100:*");
  EXPECT_EQ(star->expand(50), (std::vector<uint32_t>{50}));
  EXPECT_TRUE(SequenceSet::parse("*")->contains(7, 7));
  EXPECT_TRUE(SequenceSet::parse("*")->expand(0).empty());
}

TEST(ImapSequenceSet, HugeRangesStayCheap) {
  auto set = SequenceSet::parse("1:4294967295,4294967295");
  ASSERT_TRUE(set);
  EXPECT_EQ(set->normalized(UINT32_MAX), (std::vector<SequenceSet::Range>{{1, UINT32_MAX}}));
  std::vector<uint32_t> uids = {3, 70, 4000000000u};
  EXPECT_EQ(set->intersect(uids), uids);
  EXPECT_EQ(SequenceSet::parse("5:80,*")->intersect(uids), (std::vector<uint32_t>{70, 4000000000u}));
  EXPECT_EQ(SequenceSet::parse("1,2,4:7,9:10")->normalized(20),
            (std::vector<SequenceSet::Range>{{1, 2}, {4, 7}, {9, 10}}));
  EXPECT_EQ(SequenceSet::parse("4:7,1:2,3")->normalized(20), (std::vector<SequenceSet::Range>{{1, 7}}));
  EXPECT_TRUE(SequenceSet::parse("1:*")->intersect(std::vector<uint32_t>{}).empty());
}

TEST(ImapSequenceSet, SavedResult) {
  auto set = SequenceSet::parse("$");
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->is_saved_result());
  EXPECT_EQ(set->to_string(), "$");
  EXPECT_FALSE(set->contains(1, 1));
  ArgumentReader a("$ 1");
  EXPECT_TRUE(a.sequence_set().is_saved_result());
}
