#include <gtest/gtest.h>

#include "base/error.hpp"
#include "formats/xml/request_parser.hpp"
#include "formats/xml/xml_value.hpp"
#include "formats/xml/xml_writer.hpp"

using namespace ximssd;
using namespace ximssd::xml;

TEST(XmlWriter, EscapesTextAndAttributes) {
  std::string out;
  {
    XmlWriter w(out);
    w.open("a").attr("v", "x\"<&>\n").text("1 < 2 & 3 > \"q\"").open("b").close();
  }
  EXPECT_EQ(out, "<a v=\"x&quot;&lt;&amp;&gt;&#10;\">1 &lt; 2 &amp; 3 &gt; \"q\"<b/></a>");
}

TEST(XmlWriter, ReplacesForbiddenControlCharacters) {
  std::string out;
  {
    XmlWriter w(out);
    w.element("t", std::string("a\x01z", 3));
  }
  EXPECT_EQ(out, "<t>a\xEF\xBF\xBDz</t>");
}

TEST(RequestParser, ParsesOneElement) {
  ParsedDocument doc;
  EXPECT_FALSE(parse_message("<noop id=\"A1\"/>", {}, doc));
  EXPECT_STREQ(doc.root.name(), "noop");
  EXPECT_STREQ(doc.root.attribute("id").value(), "A1");
}

TEST(RequestParser, RejectsMalformedXmlButReadsTheId) {
  ParsedDocument doc;
  auto error = parse_message("<noop id=\"X1\"><bad></noop>", {}, doc);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, ErrorCode::malformedMessage);
  EXPECT_EQ(error->id, "X1");
}

TEST(RequestParser, RejectsInvalidUtf8) {
  ParsedDocument doc;
  auto error = parse_message("<noop id=\"U1\" x=\"\xC3\x28\"/>", {}, doc);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, ErrorCode::malformedMessage);
  EXPECT_EQ(error->id, "U1");
}

TEST(RequestParser, RejectsDeepNesting) {
  std::string deep = "<a id=\"D\">";
  for (int i = 0; i < 100; ++i) deep += "<b>";
  for (int i = 0; i < 100; ++i) deep += "</b>";
  deep += "</a>";
  ParsedDocument doc;
  auto error = parse_message(deep, RequestLimits{64}, doc);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->id, "D");
  ParsedDocument shallow;
  EXPECT_FALSE(parse_message("<a id=\"S\"><b><c/></b></a>", RequestLimits{64}, shallow));
}

TEST(RequestParser, RejectsSeveralRootsAndEmptyMessages) {
  ParsedDocument d1, d2;
  EXPECT_TRUE(parse_message("<a id=\"1\"/><b/>", {}, d1));
  EXPECT_TRUE(parse_message("<!-- only a comment -->", {}, d2));
}

TEST(RequestParser, SniffsIdsCarefully) {
  EXPECT_EQ(sniff_request_id("<noop id='Q7' x=\"1\""), "Q7");
  EXPECT_EQ(sniff_request_id("<noop uid=\"no\" id=\"yes\">"), "yes");
  EXPECT_EQ(sniff_request_id("<noop x=\"1\">"), "");
  EXPECT_EQ(sniff_request_id("garbage"), "");
}

TEST(XmlValue, RoundTripsDictionariesArraysAndData) {
  ParsedDocument doc;
  ASSERT_FALSE(parse_message(
      "<v id=\"1\"><subKey key=\"a\">one</subKey><subKey key=\"b\"><subValue>x</subValue><subValue>"
      "<subKey key=\"n\">2</subKey></subValue></subKey><subKey key=\"c\"><base64>AAEC</base64></subKey></v>",
      {}, doc));
  XmlValue v = read_xml_value(doc.root);
  ASSERT_EQ(v.kind, XmlValue::Kind::dictionary);
  EXPECT_EQ(v.entries.at("a").text, "one");
  ASSERT_EQ(v.entries.at("b").kind, XmlValue::Kind::array);
  EXPECT_EQ(v.entries.at("b").items.at(1).entries.at("n").text, "2");
  EXPECT_EQ(v.entries.at("c").kind, XmlValue::Kind::data);
  EXPECT_EQ(v.entries.at("c").text, std::string("\0\1\2", 3));
  std::string out;
  {
    XmlWriter w(out);
    w.open("v");
    write_xml_value(w, v);
  }
  ParsedDocument again;
  ASSERT_FALSE(parse_message(out, {}, again));
  EXPECT_EQ(read_xml_value(again.root), v);
}

TEST(XmlValue, RejectsMixedShapes) {
  ParsedDocument doc;
  ASSERT_FALSE(parse_message("<v><subKey key=\"a\"/><subValue/></v>", {}, doc));
  EXPECT_THROW(read_xml_value(doc.root), Failure);
}
