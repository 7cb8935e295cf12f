// The messages the server makes from another one: redirect, forward, automatic reply.
#include <gtest/gtest.h>

#include "delivery/outgoing_messages.hpp"
#include "mime/gmime_support.hpp"

namespace ximssd::delivery {
namespace {

const std::string kOriginal =
    "From: Barbara Smith <barbara@other.dom>\r\n"
    "To: Mary <mary@example.dom>\r\n"
    "Subject: =?UTF-8?Q?Caf=C3=A9?= tomorrow\r\n"
    "Message-ID: <orig-1@other.dom>\r\n"
    "References: <root@other.dom>\r\n"
    "Date: Wed, 21 Jun 2006 21:51:24 -0800\r\n"
    "\r\n"
    "Sorry, I will be out of town.\r\n";

const MakeOptions kOptions{"mail.example.dom", 1700000000};

std::string header_of(const std::string& message) { return message.substr(0, message.find("\r\n\r\n") + 2); }

TEST(RedirectMessage, PrependsResentFieldsAndKeepsTheOriginalBytes) {
  std::string out = redirect_message(kOriginal, {"mary@example.dom", "Mary Major"}, {"a1@x.dom", "a2@y.dom"}, kOptions);
  ASSERT_GT(out.size(), kOriginal.size());
  EXPECT_EQ(out.substr(out.size() - kOriginal.size()), kOriginal);
  std::string added = out.substr(0, out.size() - kOriginal.size());
  EXPECT_EQ(added.rfind("Resent-From: Mary Major <mary@example.dom>\r\n", 0), 0u) << added;
  EXPECT_NE(added.find("Resent-To: a1@x.dom,\r\n a2@y.dom\r\n"), std::string::npos) << added;
  EXPECT_NE(added.find("Resent-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"), std::string::npos) << added;
  EXPECT_NE(added.find("Resent-Message-ID: <"), std::string::npos);
  EXPECT_NE(added.find("@mail.example.dom>\r\n"), std::string::npos);
}

TEST(ForwardMessage, AttachesTheOriginalAsMessageRfc822) {
  std::string out = forward_message(kOriginal, {"mary@example.dom", ""}, {"a1@x.dom"}, kOptions);
  std::string header = header_of(out);
  EXPECT_NE(header.find("From: mary@example.dom\r\n"), std::string::npos) << header;
  EXPECT_NE(header.find("To: a1@x.dom\r\n"), std::string::npos) << header;
  EXPECT_NE(header.find("Subject: Fwd: =?"), std::string::npos) << header;  // encoded: the subject is not ASCII
  EXPECT_NE(header.find("MIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(out.find("Content-Type: message/rfc822\r\n"), std::string::npos);
  EXPECT_NE(out.find(kOriginal), std::string::npos) << "the original is attached byte for byte";

  auto parsed = mime::parse_message(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(mime::decode_header_text(g_mime_object_get_header(GMIME_OBJECT(parsed.get()), "Subject")),
            "Fwd: Café tomorrow");
  GMimeObject* body = g_mime_message_get_mime_part(parsed.get());
  ASSERT_TRUE(GMIME_IS_MULTIPART(body));
  ASSERT_EQ(g_mime_multipart_get_count(GMIME_MULTIPART(body)), 2);
  EXPECT_TRUE(GMIME_IS_MESSAGE_PART(g_mime_multipart_get_part(GMIME_MULTIPART(body), 1)));
}

TEST(AutoReply, RepliesOnceInTheThreadAndSaysItIsAutomatic) {
  std::string out = auto_reply(kOriginal, {"mary@example.dom", "Mary"}, {"barbara@other.dom"},
                               "I am away until Monday.\nMary", kOptions);
  std::string header = header_of(out);
  EXPECT_NE(header.find("To: barbara@other.dom\r\n"), std::string::npos) << header;
  EXPECT_NE(header.find("In-Reply-To: <orig-1@other.dom>\r\n"), std::string::npos) << header;
  EXPECT_NE(header.find("References: <root@other.dom> <orig-1@other.dom>\r\n"), std::string::npos) << header;
  EXPECT_NE(header.find("Auto-Submitted: auto-replied\r\n"), std::string::npos);
  EXPECT_NE(out.find("I am away until Monday.\r\nMary\r\n"), std::string::npos) << out;
  EXPECT_TRUE(is_automatic_or_bulk(out)) << "an automatic reply must never be answered automatically";

  // "Re:" is not doubled.
  std::string again = auto_reply(out, {"barbara@other.dom", ""}, {"mary@example.dom"}, "x", kOptions);
  auto parsed = mime::parse_message(again);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(mime::decode_header_text(g_mime_object_get_header(GMIME_OBJECT(parsed.get()), "Subject")),
            "Re: Café tomorrow");
}

TEST(AutomaticOrBulk, FollowsRfc3834) {
  EXPECT_FALSE(is_automatic_or_bulk(kOriginal));
  EXPECT_FALSE(is_automatic_or_bulk("Auto-Submitted: no\r\n" + kOriginal));
  EXPECT_TRUE(is_automatic_or_bulk("Auto-Submitted: auto-generated\r\n" + kOriginal));
  EXPECT_TRUE(is_automatic_or_bulk("Precedence: bulk\r\n" + kOriginal));
  EXPECT_TRUE(is_automatic_or_bulk("Precedence: List\r\n" + kOriginal));
  EXPECT_FALSE(is_automatic_or_bulk("Precedence: first-class\r\n" + kOriginal));
  EXPECT_TRUE(is_automatic_or_bulk("List-Id: <dev.lists.example>\r\n" + kOriginal));
}

}  // namespace
}  // namespace ximssd::delivery
