// SMTP/LMTP syntax: command lines, MAIL FROM and RCPT TO with their parameters, xtext, the DATA
// decoder (dot-unstuffing, the end line, the size limit, any split of the input) and framing.
#include <gtest/gtest.h>

#include "smtp/smtp_syntax.hpp"

using namespace ximssd::smtp;

namespace {

// The error a parse throws, as "code enhanced".
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const SyntaxError& e) {
    return std::to_string(e.code()) + " " + e.enhanced();
  }
  return "no error";
}

}  // namespace

TEST(SmtpSyntax, SplitsCommandLines) {
  auto c = split_command("mail FROM:<a@b.c> SIZE=5");
  EXPECT_EQ(c.verb, Verb::mail);
  EXPECT_EQ(c.name, "mail");
  EXPECT_EQ(c.argument, "FROM:<a@b.c> SIZE=5");
  EXPECT_EQ(split_command("LHLO").verb, Verb::lhlo);
  EXPECT_EQ(split_command("LHLO").argument, "");
  EXPECT_EQ(split_command("StartTLS").verb, Verb::starttls);
  EXPECT_EQ(split_command("HELLO x").verb, Verb::unknown);
  EXPECT_EQ(split_command("").verb, Verb::unknown);
  EXPECT_EQ(split_command("EHLO   host").argument, "host");
}

TEST(SmtpSyntax, MailFromWithParameters) {
  auto m = parse_mail_from("FROM:<Alice.Smith@Example.COM> SIZE=12345 BODY=8bitmime RET=HDRS ENVID=QQ+2B1");
  EXPECT_EQ(m.address, "Alice.Smith@Example.COM");
  EXPECT_EQ(m.size, 12345u);
  EXPECT_TRUE(m.eight_bit);
  EXPECT_EQ(m.ret_full, false);
  EXPECT_EQ(m.envid, "QQ+1");
  EXPECT_EQ(parse_mail_from("from:<>").address, "");
  // A space after the colon is tolerated, a source route ignored, a quoted local part kept
  // only when it needs quotes.
  EXPECT_EQ(parse_mail_from("FROM: <a@b>").address, "a@b");
  EXPECT_EQ(parse_mail_from("FROM:<@relay.example,@r2.example:joe@x.example>").address, "joe@x.example");
  EXPECT_EQ(parse_mail_from("FROM:<\"joe\"@x.example>").address, "joe@x.example");
  EXPECT_EQ(parse_mail_from("FROM:<\"joe smith\"@x.example>").address, "\"joe smith\"@x.example");
  EXPECT_EQ(parse_mail_from("FROM:<a@[127.0.0.1]>").address, "a@[127.0.0.1]");
  EXPECT_EQ(parse_mail_from("FROM:<a@b> RET=full").ret_full, true);
  EXPECT_FALSE(parse_mail_from("FROM:<a@b> BODY=7BIT").eight_bit);
}

TEST(SmtpSyntax, MailFromErrors) {
  EXPECT_EQ(error_of([] { parse_mail_from("TO:<a@b>"); }), "501 5.5.4");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:a@b"); }), "501 5.1.3");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:<a@b"); }), "501 5.1.3");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:<a..b@c>"); }), "501 5.1.3");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:<a@-b>"); }), "501 5.1.3");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:<a@b..c>"); }), "501 5.1.3");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:<ab>"); }), "501 5.1.3");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:<a@b>SIZE=1"); }), "501 5.5.4");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:<a@b> SIZE=x"); }), "501 5.5.4");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:<a@b> SIZE"); }), "501 5.5.4");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:<a@b> SIZE=99999999999999999999"); }), "501 5.5.4");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:<a@b> SIZE=1 size=2"); }), "501 5.5.4");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:<a@b> BODY=BINARYMIME"); }), "501 5.5.4");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:<a@b> SMTPUTF8"); }), "555 5.5.4");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:<a@b> ENVID=a+4"); }), "501 5.5.4");
  EXPECT_EQ(error_of([] { parse_mail_from("FROM:<a@b> ENVID=a+zz"); }), "501 5.5.4");
  std::string long_local(400, 'a');
  EXPECT_EQ(error_of([&] { parse_mail_from("FROM:<" + long_local + "@b>"); }), "501 5.1.3");
}

TEST(SmtpSyntax, RcptToWithDsnParameters) {
  auto r = parse_rcpt_to("TO:<bob@example.dom> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;bob+2Bx@example.dom");
  EXPECT_EQ(r.address, "bob@example.dom");
  EXPECT_TRUE(r.notify_success);
  EXPECT_FALSE(r.notify_failure);
  EXPECT_TRUE(r.notify_delay);
  EXPECT_EQ(r.orcpt, "rfc822;bob+x@example.dom");
  auto never = parse_rcpt_to("TO:<bob@example.dom> NOTIFY=never");
  EXPECT_FALSE(never.notify_success || never.notify_failure || never.notify_delay);
  auto plain = parse_rcpt_to("TO:<bob@example.dom>");
  EXPECT_TRUE(plain.notify_failure);
  EXPECT_FALSE(plain.notify_success);
  EXPECT_EQ(parse_rcpt_to("To:<postmaster>").address, "Postmaster");
  EXPECT_EQ(error_of([] { parse_rcpt_to("TO:<>"); }), "501 5.1.3");
  EXPECT_EQ(error_of([] { parse_rcpt_to("TO:<bob>"); }), "501 5.1.3");
  EXPECT_EQ(error_of([] { parse_rcpt_to("TO:<b@c> NOTIFY=NEVER,SUCCESS"); }), "501 5.5.4");
  EXPECT_EQ(error_of([] { parse_rcpt_to("TO:<b@c> NOTIFY=SUCCESS,"); }), "501 5.5.4");
  EXPECT_EQ(error_of([] { parse_rcpt_to("TO:<b@c> ORCPT=bob"); }), "501 5.5.4");
  EXPECT_EQ(error_of([] { parse_rcpt_to("TO:<b@c> FOO=1"); }), "555 5.5.4");
}

TEST(SmtpSyntax, DecodesData) {
  DataDecoder d(1000);
  std::string input = "Subject: x\r\n\r\n..dot\r\n.\r\nMAIL";
  size_t used = d.feed(input);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(input.substr(used), "MAIL");
  EXPECT_EQ(d.take(), "Subject: x\r\n\r\n.dot\r\n");

  DataDecoder empty(10);
  EXPECT_EQ(empty.feed(".\r\n"), 3u);
  EXPECT_TRUE(empty.done());
  EXPECT_EQ(empty.take(), "");

  // Not an end line: ". \r\n", ".x", a lone LF after the dot; bare CR and LF are kept.
  DataDecoder odd(1000);
  odd.feed("a\r\n. \r\n.x\r\n.\nb\rc\n\r\n.\r\n");
  EXPECT_TRUE(odd.done());
  EXPECT_EQ(odd.take(), "a\r\n \r\nx\r\n\nb\rc\n\r\n");
}

TEST(SmtpSyntax, DataDecodingDoesNotDependOnHowTheInputIsSplit) {
  std::string input = "A: b\r\n\r\n..\r\n.. x\r\nline\r\r\n.\r.\r\n\r\n.\r\nrest";
  DataDecoder whole(1000);
  size_t used = whole.feed(input);
  std::string expected = whole.take();
  for (size_t step = 1; step <= 7; ++step) {
    DataDecoder d(1000);
    size_t total = 0;
    for (size_t pos = 0; pos < input.size() && !d.done(); pos += step) total += d.feed(input.substr(pos, step));
    EXPECT_TRUE(d.done());
    EXPECT_EQ(total, used) << step;
    EXPECT_EQ(d.take(), expected) << step;
  }
}

TEST(SmtpSyntax, DataOverTheLimitIsReadToItsEndAndDropped) {
  DataDecoder d(5);
  d.feed("12345");
  EXPECT_FALSE(d.too_large());
  d.feed("678\r\n");
  EXPECT_TRUE(d.too_large());
  EXPECT_FALSE(d.done());
  d.feed(".\r\n");
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.size(), 10u);
  EXPECT_EQ(d.take(), "");
}

TEST(SmtpSyntax, InputBufferCutsLinesAndDropsLongOnes) {
  InputBuffer in(10);
  in.feed("NOOP\r\nRSET\nQU");
  auto a = in.next_line();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->text, "NOOP");
  auto b = in.next_line();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->text, "RSET");
  EXPECT_FALSE(in.next_line());
  in.feed("IT\r\n");
  EXPECT_EQ(in.next_line()->text, "QUIT");
  in.feed(std::string(30, 'x'));
  EXPECT_FALSE(in.next_line());
  EXPECT_LE(in.buffered(), 10u);
  in.feed(std::string(30, 'y') + "\r\nNOOP\r\n");
  auto long_line = in.next_line();
  ASSERT_TRUE(long_line);
  EXPECT_TRUE(long_line->too_long);
  EXPECT_EQ(in.next_line()->text, "NOOP");
  // DATA bytes go to the decoder; what follows the end line stays for the next command.
  in.feed("body\r\n.\r\nQUIT\r\n");
  DataDecoder d(100);
  in.feed(d);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.take(), "body\r\n");
  EXPECT_EQ(in.next_line()->text, "QUIT");
}
