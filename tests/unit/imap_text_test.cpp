// IMAP wire text: modified UTF-7 mailbox names (RFC 3501 5.1.3) and response strings, dates and
// number sets.
#include <gtest/gtest.h>

#include <vector>

#include "imap/mutf7.hpp"
#include "imap/response_text.hpp"

using namespace ximssd::imap;

TEST(ImapMutf7, RfcExamplesBothWays) {
  // RFC 3501 5.1.3: "~peter/mail/台北/日本語".
  std::string utf8 = "~peter/mail/\xE5\x8F\xB0\xE5\x8C\x97/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E";
  EXPECT_EQ(encode_mutf7(utf8), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  EXPECT_EQ(decode_mutf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-").value(), utf8);
  EXPECT_EQ(encode_mutf7("Tom & Jerry"), "Tom &- Jerry");
  EXPECT_EQ(decode_mutf7("Tom &- Jerry").value(), "Tom & Jerry");
  EXPECT_EQ(encode_mutf7("Entw\xC3\xBCrfe"), "Entw&APw-rfe");
  EXPECT_EQ(decode_mutf7("Entw&APw-rfe").value(), "Entw\xC3\xBCrfe");
}

TEST(ImapMutf7, SurrogatePairsAndRoundTrips) {
  std::string emoji = "\xF0\x9F\x93\xA7 mail";  // U+1F4E7
  std::string encoded = encode_mutf7(emoji);
  EXPECT_EQ(decode_mutf7(encoded).value(), emoji);
  for (std::string name : {"INBOX", "Sent Items", "\xD0\x9F\xD0\xB0\xD0\xBF\xD0\xBA\xD0\xB0", "a&b&c", "&", ""})
    EXPECT_EQ(decode_mutf7(encode_mutf7(name)).value(), name) << name;
  EXPECT_EQ(encode_mutf7("bad \xFF byte"), "bad &,,0- byte");  // U+FFFD
}

TEST(ImapMutf7, RefusesWhatIsNotModifiedUtf7) {
  EXPECT_FALSE(decode_mutf7("&U,BTFw"));      // unterminated
  EXPECT_FALSE(decode_mutf7("&AGE-"));        // "a" must be sent as itself
  EXPECT_FALSE(decode_mutf7("&U/BTFw-"));     // '/' is not in the modified alphabet
  EXPECT_FALSE(decode_mutf7("&2D0-"));        // a lone high surrogate
  EXPECT_FALSE(decode_mutf7("caf\xC3\xA9"));  // 8-bit bytes
  EXPECT_FALSE(decode_mutf7("&U,BTFx-"));     // leftover bits that are not zero
}

TEST(ImapResponseText, StringsInTheirLightestForm) {
  std::string out;
  append_astring(out, "INBOX");
  out += ' ';
  append_astring(out, "Sent Items");
  out += ' ';
  append_astring(out, "NIL");
  out += ' ';
  append_string(out, "say \"hi\" \\o/");
  out += ' ';
  append_string(out, "two\r\nlines");
  EXPECT_EQ(out, "INBOX \"Sent Items\" \"NIL\" \"say \\\"hi\\\" \\\\o/\" {10}\r\ntwo\r\nlines");
  out.clear();
  append_nstring(out, nullptr);
  std::string v = "caf\xC3\xA9";
  out += ' ';
  append_nstring(out, &v);
  EXPECT_EQ(out, "NIL {5}\r\ncaf\xC3\xA9");
}

TEST(ImapResponseText, DateTimesAndNumberSets) {
  EXPECT_EQ(format_date_time(760093200), " 1-Feb-1994 09:00:00 +0000");
  EXPECT_EQ(format_date_time(760093200, -300), " 1-Feb-1994 04:00:00 -0500");
  EXPECT_EQ(format_date_time(760093200, 330), " 1-Feb-1994 14:30:00 +0530");
  std::vector<int64_t> set{1, 2, 3, 5, 8, 9, 11};
  EXPECT_EQ(format_number_set(set), "1:3,5,8:9,11");
  EXPECT_EQ(format_number_set(std::vector<int64_t>{}), "");
}
