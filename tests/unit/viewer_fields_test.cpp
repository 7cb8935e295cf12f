// Viewer-field values from message headers (B-mailboxes-folders.md section 4.2), and the
// encoded-word decoding they and the renderer share.
#include <gtest/gtest.h>

#include "mime/gmime_support.hpp"
#include "mime/viewer_fields.hpp"

using namespace ximssd;

namespace {

std::string field(const std::string& header, const char* name) {
  auto parsed = mime::parse_message(header);
  auto value = mime::header_field_value(parsed.get(), name);
  return value ? value->text : "<none>";
}

}  // namespace

TEST(ViewerFields, AddressesNamesDatesAndPriority) {
  std::string header =
      "From: \"John H. Smith\" <john@example.dom>\r\nTo: a@example.dom, Bee <b@example.dom>\r\n"
      "Subject: =?UTF-8?Q?caf=C3=A9?= time\r\nDate: Tue, 03 Nov 2026 10:00:00 +0100\r\nX-Priority: 2 (High)\r\n\r\n";
  EXPECT_EQ(field(header, "From"), "John H. Smith");
  EXPECT_EQ(field(header, "E-From"), "john@example.dom");
  EXPECT_EQ(field(header, "To"), "a@example.dom, Bee");
  EXPECT_EQ(field(header, "E-To"), "a@example.dom, b@example.dom");
  EXPECT_EQ(field(header, "Subject"), "café time");
  EXPECT_EQ(field(header, "Pty"), "High");
  EXPECT_EQ(field(header, "Cc"), "<none>");
  auto parsed = mime::parse_message(header);
  auto date = mime::header_field_value(parsed.get(), "Date");
  ASSERT_TRUE(date && date->time);
  EXPECT_EQ(*date->time, 1793696400);  // 2026-11-03T09:00:00Z
  EXPECT_EQ(field("X-Priority: 5\r\n\r\n", "Pty"), "Low");
  EXPECT_EQ(field("X-Priority: 3\r\n\r\n", "Pty"), "");
}

TEST(ViewerFields, EAddressFieldsListEachAddressWithItsRealName) {
  auto parsed = mime::parse_message(std::string(
      "To: a@example.dom, Bee <b@example.dom>, team: =?UTF-8?Q?J=C3=B6rg?= <j@example.dom>;\r\n\r\n"));
  auto value = mime::header_field_value(parsed.get(), "E-To");
  ASSERT_TRUE(value);
  ASSERT_EQ(value->addresses.size(), 3u);
  EXPECT_EQ(value->addresses[0].address, "a@example.dom");
  EXPECT_EQ(value->addresses[0].real_name, "");
  EXPECT_EQ(value->addresses[1].address, "b@example.dom");
  EXPECT_EQ(value->addresses[1].real_name, "Bee");
  EXPECT_EQ(value->addresses[2].real_name, "Jörg");
  // The plain field keeps one joined value and no list.
  auto plain = mime::header_field_value(parsed.get(), "To");
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->addresses.empty());
}

TEST(HeaderText, PaddedBase64WordsInARowAllDecode) {
  // GMime alone stops at the first word's padding and drops the rest.
  EXPECT_EQ(mime::decode_header_text("=?UTF-8?B?YWJj?= =?UTF-8?B?ZA==?= =?UTF-8?B?ZWY=?= =?UTF-8?B?Zw==?="), "abcdefg");
  // A character split across two words still decodes.
  EXPECT_EQ(mime::decode_header_text("=?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?="), "éé");
  EXPECT_EQ(mime::decode_header_text("plain text"), "plain text");
  // Line breaks smuggled through an encoded word do not make a second field.
  EXPECT_EQ(mime::decode_header_text("=?UTF-8?Q?a=0D=0ABcc:_x@example.dom?="), "a  Bcc: x@example.dom");
}
