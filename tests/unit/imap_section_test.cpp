// FETCH BODY[section]: section syntax, and the bytes each section names in a stored message,
// which must be exactly as long as BODYSTRUCTURE says.
#include <gtest/gtest.h>

#include "imap/command_parser.hpp"
#include "mime/imap_bodystructure.hpp"
#include "mime/imap_section.hpp"

using namespace ximssd::mime;

namespace {

// The section as FETCH sends it, between its brackets, read by the IMAP command parser.
std::optional<SectionSpec> parse_section(std::string_view text) {
  std::string wire = "[" + std::string(text) + "]";
  try {
    ximssd::imap::ArgumentReader reader(wire);
    SectionSpec spec = reader.section();
    reader.expect_end();
    return spec;
  } catch (const ximssd::imap::SyntaxError&) {
    return std::nullopt;
  }
}

// RFC 3501 6.4.5's example shape: a multipart/mixed whose part 2 is a message/rfc822 holding a
// multipart/alternative, and whose part 3 is a multipart/related.
const std::string kMessage =
    "From: a@b.dom\r\n"
    "Subject: sections\r\n"
    "Date: Tue, 1 Feb 1994 10:00:00 +0000\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "part one\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: c@d.dom\r\n"
    "Subject: inner\r\n"
    "Content-Type: multipart/alternative; boundary=\"alt\"\r\n"
    "\r\n"
    "--alt\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "plain inner\r\n"
    "--alt\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>html inner</p>\r\n"
    "--alt--\r\n"
    "--outer\r\n"
    "Content-Type: multipart/related; boundary=\"rel\"\r\n"
    "\r\n"
    "--rel\r\n"
    "Content-Type: image/gif\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "R0lGODlhAQABAAAAACw=\r\n"
    "--rel--\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

std::string section(std::string_view text, const std::string& raw = kMessage) {
  auto spec = parse_section(text);
  if (!spec) return "<bad section>";
  auto bytes = section_bytes(raw, *spec);
  return bytes ? *bytes : "<none>";
}

}  // namespace

TEST(ImapSection, ParsesTheGrammar) {
  auto s = parse_section("1.2.HEADER.FIELDS (DATE \"From\")");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->part, (std::vector<int>{1, 2}));
  EXPECT_EQ(s->text, SectionSpec::Text::header_fields);
  EXPECT_EQ(s->fields, (std::vector<std::string>{"DATE", "From"}));
  EXPECT_EQ(s->to_string(), "1.2.HEADER.FIELDS (DATE From)");
  EXPECT_EQ(parse_section("header.fields.not (Subject)")->text, SectionSpec::Text::header_fields_not);
  EXPECT_EQ(parse_section("")->to_string(), "");
  EXPECT_EQ(parse_section("3.MIME")->to_string(), "3.MIME");
  for (std::string_view bad : {"MIME", "0", "1.", "1..2", "HEADER.FIELDS ()", "HEADER.FIELDS", "TEXTS",
                               "HEADER.FIELDS (\"open)"})
    EXPECT_FALSE(parse_section(bad)) << bad;
}

TEST(ImapSection, MessageLevelSections) {
  size_t header_end = kMessage.find("\r\n\r\n") + 4;
  EXPECT_EQ(section(""), kMessage);
  EXPECT_EQ(section("HEADER"), kMessage.substr(0, header_end));
  EXPECT_EQ(section("TEXT"), kMessage.substr(header_end));
  EXPECT_EQ(section("HEADER.FIELDS (subject DATE)"),
            "Subject: sections\r\nDate: Tue, 1 Feb 1994 10:00:00 +0000\r\n\r\n");
  EXPECT_EQ(section("HEADER.FIELDS.NOT (Subject Date Content-Type MIME-Version)"), "From: a@b.dom\r\n\r\n");
}

TEST(ImapSection, PartsAndTheirHeaders) {
  EXPECT_EQ(section("1"), "part one");
  EXPECT_EQ(section("1.MIME"), "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
  EXPECT_EQ(section("2.HEADER"),
            "From: c@d.dom\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n");
  EXPECT_EQ(section("2.HEADER.FIELDS (Subject)"), "Subject: inner\r\n\r\n");
  EXPECT_EQ(section("2.1"), "plain inner");
  EXPECT_EQ(section("2.2"), "<p>html inner</p>");
  EXPECT_EQ(section("2.2.MIME"), "Content-Type: text/html\r\n\r\n");
  EXPECT_EQ(section("2.TEXT").substr(0, 7), "--alt\r\n");
  EXPECT_EQ(section("3.1"), "R0lGODlhAQABAAAAACw=");
  EXPECT_EQ(section("3"), "--rel\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                          "R0lGODlhAQABAAAAACw=\r\n--rel--");
  // No such part, or HEADER of a part that is no message.
  EXPECT_EQ(section("4"), "<none>");
  EXPECT_EQ(section("1.2"), "<none>");
  EXPECT_EQ(section("1.HEADER"), "<none>");
  // A message that is not multipart: its body is part 1.
  std::string single = "Subject: one\r\n\r\nbody text\r\n";
  EXPECT_EQ(section("1", single), "body text\r\n");
  EXPECT_EQ(section("2", single), "<none>");
}

TEST(ImapSection, LeafSizesAgreeWithBodystructure) {
  // BODYSTRUCTURE's body-fld-octets for parts 1, 2.1, 2.2 and 3.1, as FETCH serves them.
  std::string structure = imap_bodystructure(kMessage, false);
  for (const char* part : {"1", "2.1", "2.2", "3.1"}) {
    std::string bytes = section(part);
    std::string size = " " + std::to_string(bytes.size());
    EXPECT_TRUE(structure.find(size + " ") != std::string::npos || structure.find(size + ")") != std::string::npos)
        << part << " is " << bytes.size() << " bytes; BODY is " << structure;
  }
}
