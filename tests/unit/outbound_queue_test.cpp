// The outbound queue's pieces that need no network: entry files, the SMTP client's protocol
// helpers, and the delivery-status notification.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "delivery/queue/dsn.hpp"
#include "delivery/queue/mdn.hpp"
#include "mime/embedded_message.hpp"
#include "delivery/queue/queue_entry.hpp"
#include "delivery/queue/queue_files.hpp"
#include "delivery/queue/report_text.hpp"
#include "delivery/smtp_client.hpp"

using namespace ximssd::delivery;

namespace {

QueueEntry sample_entry() {
  QueueEntry e;
  e.id = new_queue_id(1700000000);
  e.mail_from = "mary@example.dom";
  e.envid = "env id+1";
  e.return_full = true;
  e.source = Source::authenticated;
  e.created = 1700000000;
  e.attempts = 3;
  e.next_attempt_ms = 1700000123456;
  e.size = 1234;
  RecipientState a;
  a.recipient = Recipient{"susan@remote.test", true, true, "rfc822;Susan@Remote.test"};
  a.status = RecipientStatus::delivered;
  a.attempted = true;
  a.finished = 1700000050;
  a.last = Outcome{250, "2.0.0", "queued as 12 34\r\nodd"};
  a.remote_mta = "mx.remote.test";
  RecipientState b;
  b.recipient = Recipient{"bob@example.dom", false, false, ""};
  b.local = true;
  e.recipients = {a, b};
  return e;
}

}  // namespace

TEST(QueueEntry, RoundTripsThroughItsFileForm) {
  QueueEntry e = sample_entry();
  auto text = serialize_entry(e);
  auto back = parse_entry(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->mail_from, e.mail_from);
  EXPECT_EQ(back->envid, "env id+1");
  EXPECT_TRUE(back->return_full);
  EXPECT_EQ(back->attempts, 3);
  EXPECT_EQ(back->next_attempt_ms, 1700000123456);
  EXPECT_EQ(back->size, 1234u);
  ASSERT_EQ(back->recipients.size(), 2u);
  const auto& a = back->recipients[0];
  EXPECT_EQ(a.recipient.address, "susan@remote.test");
  EXPECT_TRUE(a.recipient.notify_success);
  EXPECT_EQ(a.recipient.original, "rfc822;Susan@Remote.test");
  EXPECT_EQ(a.status, RecipientStatus::delivered);
  EXPECT_EQ(a.last.text, "queued as 12 34\r\nodd");
  EXPECT_EQ(a.remote_mta, "mx.remote.test");
  const auto& b = back->recipients[1];
  EXPECT_FALSE(b.recipient.notify_success);
  EXPECT_FALSE(b.recipient.notify_failure);
  EXPECT_TRUE(b.local);
  EXPECT_EQ(b.status, RecipientStatus::pending);
  EXPECT_FALSE(back->finished());
  // Every line is one field: no value brought its own line break.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 13);
}

TEST(QueueEntry, RejectsDamagedFiles) {
  std::string text = serialize_entry(sample_entry());
  EXPECT_FALSE(parse_entry(text.substr(0, text.size() - 4)));  // cut short
  EXPECT_FALSE(parse_entry("something else\n"));
  EXPECT_FALSE(parse_entry(""));
  std::string bad = text;
  bad.replace(bad.find("ret full"), 8, "ret what");
  EXPECT_FALSE(parse_entry(bad));
  std::string no_recipients = text.substr(0, text.find("rcpt ")) + "end\n";
  EXPECT_FALSE(parse_entry(no_recipients));
  std::string bad_escape = text;
  bad_escape.replace(bad_escape.find("env%20id"), 8, "env%2");
  EXPECT_FALSE(parse_entry(bad_escape));
  EXPECT_TRUE(is_queue_id("1700000000-abcDEF123456"));
  EXPECT_FALSE(is_queue_id("../x-abcDEF123456"));
  EXPECT_FALSE(is_queue_id("1700000000-abc"));
}

TEST(QueueFiles, KeepsCompleteEntriesAndDropsLeftovers) {
  auto dir = std::filesystem::temp_directory_path() / ("queue_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    QueueFiles files(dir);
    QueueEntry e = sample_entry();
    files.create(e, "Subject: hi\r\n\r\nbody\r\n");
    e.attempts = 4;
    files.update(e);
    // A submission interrupted before its entry was written, and a temporary file.
    std::ofstream(dir / "1700000001-AAAAAAAAAAAA.eml") << "orphan";
    std::ofstream(dir / "1700000002-BBBBBBBBBBBB.env.tmp") << "partial";
    std::ofstream(dir / "1700000003-CCCCCCCCCCCC.env") << "garbage";
    std::ofstream(dir / "1700000003-CCCCCCCCCCCC.eml") << "x";
    auto loaded = files.load_all();
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].attempts, 4);
    EXPECT_EQ(files.read_message(loaded[0].id), "Subject: hi\r\n\r\nbody\r\n");
    EXPECT_FALSE(std::filesystem::exists(dir / "1700000001-AAAAAAAAAAAA.eml"));
    EXPECT_FALSE(std::filesystem::exists(dir / "1700000002-BBBBBBBBBBBB.env.tmp"));
    EXPECT_TRUE(std::filesystem::exists(dir / "1700000003-CCCCCCCCCCCC.env.bad"));
    files.remove(loaded[0].id);
    EXPECT_TRUE(files.load_all().empty());
  }
  std::filesystem::remove_all(dir);
}

TEST(SmtpClient, DotStuffsAndEndsTheData) {
  EXPECT_EQ(dot_stuff("a\r\n.b\r\n..\r\n"), "a\r\n..b\r\n...\r\n.\r\n");
  EXPECT_EQ(dot_stuff(".x\nlast"), "..x\r\nlast\r\n.\r\n");
  EXPECT_EQ(dot_stuff(""), ".\r\n");
  EXPECT_EQ(xtext("a+b=c d"), "a+2Bb+3Dc+20d");
}

TEST(SmtpClient, ReadsMultiLineRepliesAndEnhancedCodes) {
  SmtpReply r;
  EXPECT_FALSE(add_reply_line(r, "250-mx.test hello"));
  EXPECT_FALSE(add_reply_line(r, "250-STARTTLS"));
  EXPECT_TRUE(add_reply_line(r, "250 DSN"));
  EXPECT_EQ(r.code, 250);
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(r.lines[1], "STARTTLS");

  SmtpReply refused;
  EXPECT_TRUE(add_reply_line(refused, "550 5.1.1 <x@y>: no such user"));
  Outcome o = refused.outcome();
  EXPECT_EQ(o.code, 550);
  EXPECT_EQ(o.enhanced, "5.1.1");
  EXPECT_EQ(o.text, "<x@y>: no such user");

  SmtpReply plain;
  EXPECT_TRUE(add_reply_line(plain, "451 try later"));
  EXPECT_EQ(plain.outcome().enhanced, "4.0.0");
  EXPECT_TRUE(plain.outcome().temporary());

  SmtpReply mixed;
  add_reply_line(mixed, "250-a");
  EXPECT_THROW(add_reply_line(mixed, "251 b"), std::runtime_error);
  SmtpReply junk;
  EXPECT_THROW(add_reply_line(junk, "hello"), std::runtime_error);
  EXPECT_THROW(add_reply_line(junk, "600 x"), std::runtime_error);
}

TEST(Dsn, ReportsFailuresWithTheOriginalHeader) {
  DsnInput in;
  in.reporting_mta = "mail.example.dom";
  in.from = "postmaster@example.dom";
  in.to = "mary@example.dom";
  in.envid = "E1";
  in.arrival = 1700000000;
  in.now = 1700000100;
  in.recipients.push_back(DsnRecipient{"refused@remote.test", "", false,
                                       Outcome{550, "5.1.1", "no such user"}, "mx.remote.test", 1700000050});
  in.recipients.push_back(DsnRecipient{"ok@remote.test", "rfc822;OK@remote.test", true, Outcome{}, "", 1700000050});
  std::string original = "Subject: Hello there\r\nFrom: mary@example.dom\r\n\r\nsecret body\r\n";
  std::string dsn = build_dsn(in, original);
  EXPECT_NE(dsn.find("Content-Type: multipart/report; report-type=delivery-status;"), std::string::npos);
  EXPECT_NE(dsn.find("Subject: Delivery Status Notification (Partial Failure)"), std::string::npos);
  EXPECT_NE(dsn.find("Reporting-MTA: dns; mail.example.dom"), std::string::npos);
  EXPECT_NE(dsn.find("Original-Envelope-Id: E1"), std::string::npos);
  EXPECT_NE(dsn.find("Final-Recipient: rfc822; refused@remote.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                     "Remote-MTA: dns; mx.remote.test\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user"),
            std::string::npos);
  EXPECT_NE(dsn.find("Original-Recipient: rfc822;OK@remote.test\r\nFinal-Recipient: rfc822; ok@remote.test\r\n"
                     "Action: delivered\r\nStatus: 2.0.0"),
            std::string::npos);
  EXPECT_NE(dsn.find("Content-Type: text/rfc822-headers\r\n\r\nSubject: Hello there"), std::string::npos);
  EXPECT_EQ(dsn.find("secret body"), std::string::npos);  // RET=HDRS: no body
  EXPECT_NE(dsn.find("\"Hello there\""), std::string::npos);
  in.return_full = true;
  EXPECT_NE(build_dsn(in, original).find("Content-Type: message/rfc822\r\n\r\nSubject: Hello there"), std::string::npos);
}

TEST(ReportText, HeaderFieldsAndRemoval) {
  std::string m = "To: a@b\r\nBcc: x@y,\r\n  z@w\r\nSubject: folded\r\n line\r\n\r\nBcc: in body\r\n";
  auto header = header_of(m);
  EXPECT_EQ(header_field(header, "subject"), "folded  line");
  EXPECT_EQ(header_field(header, "Bcc"), "x@y,   z@w");
  EXPECT_FALSE(header_field(header, "Cc"));
  EXPECT_EQ(remove_header_field(m, "BCC"), "To: a@b\r\nSubject: folded\r\n line\r\n\r\nBcc: in body\r\n");
  EXPECT_EQ(first_address("Mary <mary@example.dom>"), "mary@example.dom");
  EXPECT_EQ(first_address(" a@b , c@d"), "a@b");
}

TEST(Mdn, ReportsTheDisplayToTheRequestedAddress) {
  std::string original =
      "From: Barbara <barbara@remote.test>\r\nSubject: Lunch\r\nMessage-ID: <m1@remote.test>\r\n"
      "Original-Recipient: rfc822;Mary@Example.dom\r\nDisposition-Notification-To: Barbara\r\n <barbara@remote.test>\r\n"
      "\r\nsecret\r\n";
  EXPECT_EQ(disposition_notification_to(original), "barbara@remote.test");
  EXPECT_FALSE(disposition_notification_to("Subject: x\r\n\r\nDisposition-Notification-To: a@b\r\n"));
  MdnInput in{"mail.example.dom", "mary@example.dom", "Mary", false, 1700000000};
  std::string mdn = build_mdn(in, original, "barbara@remote.test");
  EXPECT_NE(mdn.find("To: <barbara@remote.test>\r\n"), std::string::npos);
  EXPECT_NE(mdn.find("Subject: Read: Lunch\r\n"), std::string::npos);
  EXPECT_NE(mdn.find("report-type=disposition-notification"), std::string::npos);
  EXPECT_NE(mdn.find("Reporting-UA: mail.example.dom; ximssd\r\nOriginal-Recipient: rfc822;Mary@Example.dom\r\n"
                     "Final-Recipient: rfc822; mary@example.dom\r\nOriginal-Message-ID: <m1@remote.test>\r\n"
                     "Disposition: manual-action/MDN-sent-manually; displayed\r\n"),
            std::string::npos);
  EXPECT_EQ(mdn.find("secret"), std::string::npos);  // the header only
  in.sent_automatically = true;
  EXPECT_NE(build_mdn(in, original, "barbara@remote.test").find("manual-action/MDN-sent-automatically; displayed"),
            std::string::npos);
}

TEST(EmbeddedMessage, TakesTheEnclosedMessageOnly) {
  std::string outer =
      "Subject: digest\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
      "Subject: inner\r\n\r\ninner body\r\n--b--\r\n";
  auto inner = ximssd::mime::embedded_message(outer, "02");
  ASSERT_TRUE(inner);
  EXPECT_NE(inner->find("Subject: inner"), std::string::npos);
  EXPECT_NE(inner->find("inner body"), std::string::npos);
  EXPECT_EQ(inner->find("hello"), std::string::npos);
  EXPECT_FALSE(ximssd::mime::embedded_message(outer, "01"));
  EXPECT_FALSE(ximssd::mime::embedded_message(outer, "07"));
}
