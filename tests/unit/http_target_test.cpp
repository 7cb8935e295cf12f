// Reading HTTP request targets and session URLs: decoding, query parameters, path segments
// that may not walk anywhere, MIME part locators, and byte ranges.
#include <gtest/gtest.h>

#include "http/request_target.hpp"
#include "http/session_url.hpp"

using namespace ximssd::http;

TEST(HttpTarget, DecodesQueryParametersCaseInsensitively) {
  auto t = parse_target("/XIMSSLogin/?errorAsXML=1&userName=a%40b.dom&password=p+q%2B&DisableIPWatch=1&x");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/XIMSSLogin/");
  EXPECT_EQ(t->param("username").value(), "a@b.dom");
  EXPECT_EQ(t->param("password").value(), "p q+");
  EXPECT_TRUE(t->flag("disableipwatch"));
  EXPECT_TRUE(t->param("x").has_value());
  EXPECT_FALSE(t->param("missing").has_value());
  EXPECT_FALSE(parse_target("/a?b=%zz"));
  EXPECT_FALSE(parse_target("/a?b=%0"));
}

TEST(HttpTarget, FlagsReadNoAndZeroAsOff) {
  auto t = parse_target("/x?a=0&b=no&c=false&d=yes&e=1");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->flag("a"));
  EXPECT_FALSE(t->flag("b"));
  EXPECT_FALSE(t->flag("c"));
  EXPECT_TRUE(t->flag("d"));
  EXPECT_TRUE(t->flag("e"));
}

TEST(HttpTarget, SegmentsRefuseDotsAndNuls) {
  auto s = decode_segments("/Session/1-abc/MIME/Sent%2F2020/5-B.gif");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->size(), 5u);
  EXPECT_EQ((*s)[3], "Sent/2020");
  EXPECT_FALSE(decode_segments("/Session/x/../y"));
  EXPECT_FALSE(decode_segments("/Session/x/%2e%2e/y"));
  EXPECT_FALSE(decode_segments("/Session/x/%2E/y"));
  EXPECT_FALSE(decode_segments("/a/b%00c"));
  EXPECT_FALSE(decode_segments("/a/%"));
  auto root = decode_segments("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->size(), 1u);
  EXPECT_EQ(root->front(), "");
}

TEST(HttpMimeLocator, ReadsTheSeedsExamples) {
  auto a = parse_mime_locators({"INBOX", "567-01-B.gif"});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].folder, "INBOX");
  EXPECT_EQ(a[0].uid, 567);
  EXPECT_EQ(a[0].part_id, "01");
  EXPECT_EQ(a[0].mode, MimeLocator::Mode::body);

  auto b = parse_mime_locators({"INBOX", "567-02-01-B.gif", "Logo.gif"});
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].part_id, "02-01");

  auto whole = parse_mime_locators({"INBOX", "567-P.txt"});
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(whole[0].part_id, "");
  EXPECT_EQ(whole[0].mode, MimeLocator::Mode::whole_part);

  auto header = parse_mime_locators({"INBOX", "9-03-H.txt"});
  ASSERT_EQ(header.size(), 1u);
  EXPECT_EQ(header[0].mode, MimeLocator::Mode::header);

  auto related = parse_mime_locators({"INBOX", "7-01-02-R", "<part1.abc@host>"});
  ASSERT_EQ(related.size(), 1u);
  EXPECT_EQ(related[0].mode, MimeLocator::Mode::related);
  EXPECT_EQ(related[0].content_id, "part1.abc@host");
  EXPECT_EQ(related[0].part_id, "01-02");
}

TEST(HttpMimeLocator, OffersEveryReadingForAmbiguousPaths) {
  // A folder named "Sent/2020", and a file name that itself looks like a locator.
  auto c = parse_mime_locators({"Sent", "2020", "5-B.txt", "1-B.gif"});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].folder, "Sent/2020/5-B.txt");
  EXPECT_EQ(c[0].uid, 1);
  EXPECT_EQ(c[1].folder, "Sent/2020");
  EXPECT_EQ(c[1].uid, 5);
}

TEST(HttpMimeLocator, RefusesWhatIsNotALocator) {
  EXPECT_TRUE(parse_mime_locators({"567-B.gif"}).empty());  // no folder
  EXPECT_TRUE(parse_mime_locators({"", "567-B.gif"}).empty());
  EXPECT_TRUE(parse_mime_locators({"INBOX", "x-B.gif"}).empty());
  EXPECT_TRUE(parse_mime_locators({"INBOX", "0-B.gif"}).empty());
  EXPECT_TRUE(parse_mime_locators({"INBOX", "5-a1-B.gif"}).empty());
  EXPECT_TRUE(parse_mime_locators({"INBOX", "5-Q.txt"}).empty());
  EXPECT_TRUE(parse_mime_locators({"INBOX", "5-R"}).empty());  // R needs a Content-ID
  EXPECT_TRUE(parse_mime_locators({"INBOX", "5-P.txt", "a", "b"}).empty());
  EXPECT_TRUE(parse_mime_locators({"INBOX", "99999999999999999999-B.x"}).empty());
}

TEST(HttpRange, HeaderForms) {
  auto r = decide_range_header("bytes=10-19", 100);
  EXPECT_EQ(r.kind, RangeDecision::Kind::partial);
  EXPECT_EQ(r.range.first, 10u);
  EXPECT_EQ(r.range.last, 20u);
  r = decide_range_header("bytes=90-", 100);
  EXPECT_EQ(r.range.first, 90u);
  EXPECT_EQ(r.range.last, 100u);
  r = decide_range_header("bytes=-10", 100);
  EXPECT_EQ(r.range.first, 90u);
  r = decide_range_header("bytes=50-500", 100);
  EXPECT_EQ(r.range.last, 100u);
  EXPECT_EQ(decide_range_header("bytes=100-", 100).kind, RangeDecision::Kind::unsatisfiable);
  EXPECT_EQ(decide_range_header("bytes=-0", 100).kind, RangeDecision::Kind::unsatisfiable);
  // Forms we do not serve are ignored: the whole resource.
  EXPECT_EQ(decide_range_header("bytes=1-2,5-6", 100).kind, RangeDecision::Kind::whole);
  EXPECT_EQ(decide_range_header("items=1-2", 100).kind, RangeDecision::Kind::whole);
  EXPECT_EQ(decide_range_header("bytes=5-2", 100).kind, RangeDecision::Kind::whole);
  EXPECT_EQ(decide_range_header("bytes=x-2", 100).kind, RangeDecision::Kind::whole);
}

TEST(HttpRange, OffsetsAreHalfOpen) {
  // The seed: OffsetFrom=100&OffsetTill=200 returns 100 bytes.
  auto r = decide_offsets("100", "200", 1000);
  EXPECT_EQ(r.kind, RangeDecision::Kind::partial);
  EXPECT_EQ(r.range.last - r.range.first, 100u);
  r = decide_offsets("100", std::nullopt, 1000);
  EXPECT_EQ(r.range.last, 1000u);
  r = decide_offsets("0", "5000", 1000);
  EXPECT_EQ(r.range.last, 1000u);
  EXPECT_EQ(decide_offsets("1000", std::nullopt, 1000).kind, RangeDecision::Kind::unsatisfiable);
  EXPECT_EQ(decide_offsets("5", "4", 1000).kind, RangeDecision::Kind::unsatisfiable);
  EXPECT_EQ(decide_offsets("a", std::nullopt, 1000).kind, RangeDecision::Kind::unsatisfiable);
}
