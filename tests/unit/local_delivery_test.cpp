// Local delivery against a real store: which addresses are ours, the quota at RCPT, and each
// part of a Rules outcome applied (reject, discard, "Store in" with mailboxes created, flags and
// keywords, a rewritten message, copies handed to the queue with the right envelope), with the
// trace fields before the stored message.
#include <gtest/gtest.h>

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <filesystem>

#include "delivery/local_delivery.hpp"
#include "mail/change_hub.hpp"
#include "mail/message_flags.hpp"
#include "store/store.hpp"

using namespace ximssd;
using namespace ximssd::delivery;

namespace {

const std::string kMessage =
    "From: Bob <bob@remote.example>\r\nTo: alice@example.dom\r\nSubject: Hello\r\n"
    "Message-ID: <m1@remote.example>\r\n\r\nHi Alice.\r\n";

class FakeRules : public RuleEvaluator {
 public:
  RuleOutcome outcome;
  int calls = 0;
  std::string seen_recipient;
  RuleOutcome evaluate(const RuleInput& input) override {
    ++calls;
    seen_recipient = std::string(input.recipient);
    return outcome;
  }
};

class FakeQueue : public MessageSubmitter {
 public:
  struct Sent {
    Envelope envelope;
    std::string message;
    Source source;
  };
  std::vector<Sent> sent;
  boost::asio::awaitable<std::string> submit(Envelope envelope, std::string message, Source source) override {
    sent.push_back({std::move(envelope), std::move(message), source});
    co_return "Q" + std::to_string(sent.size());
  }
};

class LocalDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("ximssd-delivery-unit-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = store::Store::open_embedded(dir_.string(), true);
    accounts_.emplace(*store_, mail::HashCost{1, 8}, &pool_);
    accounts_->add_domain("example.dom", false);
    alice_ = accounts_->add_account({"alice", "example.dom", "alice-pw-1", "Alice A", ""});
    mailboxes_.emplace(*store_);
    ingest_.emplace(*store_, *mailboxes_, &pool_, &hub_);
    quota_.emplace(*store_, *accounts_, 0);
    delivery_.emplace(*accounts_, *mailboxes_, *ingest_, *quota_, pool_, "mx.example.dom");
    delivery_->set_rules(&rules_);
    delivery_->set_submitter(&queue_);
  }
  void TearDown() override {
    pool_.join();
    store_->stop_writer();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::vector<Outcome> deliver(const std::vector<std::string>& to, const std::string& message = kMessage) {
    Envelope envelope{"bob@remote.example", {}, {}, false};
    for (const auto& a : to) envelope.recipients.push_back(Recipient{a, false, true, {}});
    auto shared = std::make_shared<const std::string>(message);
    Trace trace{"mta.remote.example", "192.0.2.7", "LMTP"};
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(io, delivery_->deliver(envelope, shared, Source::lmtp, trace),
                                        boost::asio::use_future);
    io.run();
    return future.get();
  }

  // The messages of one of alice's mailboxes, oldest first.
  std::vector<store::MessageRecord> messages(const std::string& mailbox) {
    for (const auto& m : store_->reader().list_mailboxes(alice_.id))
      if (m.name == mailbox) return store_->reader().list_messages(m.id);
    return {};
  }
  std::string text(const store::MessageRecord& m) { return store_->blobs().read(m.blob_id); }

  std::filesystem::path dir_;
  boost::asio::thread_pool pool_{2};
  std::unique_ptr<store::Store> store_;
  mail::ChangeHub hub_;
  std::optional<mail::AccountService> accounts_;
  std::optional<mail::MailboxService> mailboxes_;
  std::optional<mail::MessageIngest> ingest_;
  std::optional<mail::QuotaService> quota_;
  std::optional<LocalDelivery> delivery_;
  mail::AccountRecord alice_;
  FakeRules rules_;
  FakeQueue queue_;
};

TEST_F(LocalDeliveryTest, ClassifiesAddresses) {
  EXPECT_EQ(delivery_->classify("alice@example.dom"), AddressKind::local_account);
  EXPECT_EQ(delivery_->classify("ALICE@Example.DOM"), AddressKind::local_account);
  EXPECT_EQ(delivery_->classify("nobody@example.dom"), AddressKind::unknown_local);
  EXPECT_EQ(delivery_->classify("alice@elsewhere.example"), AddressKind::remote);
  EXPECT_EQ(delivery_->classify("alice"), AddressKind::remote);
  EXPECT_FALSE(delivery_->check_recipient("alice@example.dom", 1000));
  auto unknown = delivery_->check_recipient("nobody@example.dom", 10);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->code, 550);
  EXPECT_EQ(unknown->enhanced, "5.1.1");
}

TEST_F(LocalDeliveryTest, QuotaIsATemporaryFailure) {
  quota_.emplace(*store_, *accounts_, 1);  // 1 KiB
  delivery_.emplace(*accounts_, *mailboxes_, *ingest_, *quota_, pool_, "mx.example.dom");
  auto refused = delivery_->check_recipient("alice@example.dom", 2000);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reply_line().substr(0, 9), "452 4.2.2");
  auto outcomes = deliver({"alice@example.dom"}, kMessage + std::string(2000, 'x') + "\r\n");
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].code, 452);
  EXPECT_TRUE(messages("INBOX").empty());
}

TEST_F(LocalDeliveryTest, StoresWithTraceFieldsAndRunsTheRules) {
  auto outcomes = deliver({"Alice@example.dom", "ghost@example.dom"});
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_EQ(outcomes[1].enhanced, "5.1.1");
  EXPECT_EQ(rules_.calls, 1);
  EXPECT_EQ(rules_.seen_recipient, "Alice@example.dom");
  auto inbox = messages("INBOX");
  ASSERT_EQ(inbox.size(), 1u);
  std::string stored = text(inbox[0]);
  EXPECT_EQ(stored.rfind("Return-Path: <bob@remote.example>\r\nDelivered-To: Alice@example.dom\r\n"
                         "Received: from mta.remote.example ([192.0.2.7])\r\n\tby mx.example.dom (ximssd) with LMTP\r\n"
                         "\tfor <Alice@example.dom>; ",
                         0),
            0u)
      << stored;
  EXPECT_EQ(stored.substr(stored.size() - kMessage.size()), kMessage);
  EXPECT_EQ(inbox[0].flags, 0u);
  EXPECT_TRUE(queue_.sent.empty());
}

TEST_F(LocalDeliveryTest, RejectStoresAndSendsNothing) {
  rules_.outcome.reject = "we do not want this";
  rules_.outcome.redirect_to = {"carol@elsewhere.example"};
  auto outcomes = deliver({"alice@example.dom"});
  EXPECT_EQ(outcomes[0].reply_line(), "550 5.7.1 we do not want this");
  EXPECT_TRUE(messages("INBOX").empty());
  EXPECT_TRUE(queue_.sent.empty());
}

TEST_F(LocalDeliveryTest, DiscardStoreInFlagsAndARewrittenMessage) {
  rules_.outcome.discard = true;
  rules_.outcome.store_in = {"Lists/Work", "Archive"};
  rules_.outcome.flags = {"Seen", "Flagged", "$Label1"};
  rules_.outcome.message = "X-Tag: yes\r\n" + kMessage;
  auto outcomes = deliver({"alice@example.dom"});
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_TRUE(messages("INBOX").empty());
  for (const char* name : {"Lists/Work", "Archive"}) {
    auto stored = messages(name);
    ASSERT_EQ(stored.size(), 1u) << name;
    EXPECT_EQ(stored[0].flags, mail::kSeen | mail::kFlagged);
    EXPECT_EQ(stored[0].keywords, "$Label1");
    std::string body = text(stored[0]);
    EXPECT_EQ(body.substr(body.size() - rules_.outcome.message->size()), *rules_.outcome.message);
  }
  // Delivering again appends to the mailboxes that now exist.
  deliver({"alice@example.dom"});
  EXPECT_EQ(messages("Archive").size(), 2u);
}

TEST_F(LocalDeliveryTest, CopiesGoToTheQueueWithTheirEnvelopes) {
  rules_.outcome.store_in = {"INBOX"};  // no second INBOX copy
  rules_.outcome.mirror_to = {"m@elsewhere.example"};
  rules_.outcome.redirect_to = {"r@elsewhere.example"};
  rules_.outcome.forward_to = {"f@elsewhere.example"};
  rules_.outcome.reply = RuleOutcome::Reply{{"bob@remote.example"}, "I am away."};
  auto outcomes = deliver({"alice@example.dom"});
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_EQ(messages("INBOX").size(), 1u);
  ASSERT_EQ(queue_.sent.size(), 4u);
  auto& mirror = queue_.sent[0];
  EXPECT_EQ(mirror.envelope.mail_from, "alice@example.dom");
  EXPECT_EQ(mirror.envelope.recipients.at(0).address, "m@elsewhere.example");
  EXPECT_EQ(mirror.message, kMessage);  // unchanged, no trace fields of ours
  EXPECT_EQ(mirror.source, Source::generated);
  auto& redirect = queue_.sent[1];
  EXPECT_EQ(redirect.envelope.mail_from, "alice@example.dom");
  EXPECT_NE(redirect.message.find("Resent-From:"), std::string::npos);
  EXPECT_NE(redirect.message.find("Subject: Hello"), std::string::npos);
  auto& forward = queue_.sent[2];
  EXPECT_EQ(forward.envelope.recipients.at(0).address, "f@elsewhere.example");
  EXPECT_NE(forward.message.find("message/rfc822"), std::string::npos);
  auto& reply = queue_.sent[3];
  EXPECT_EQ(reply.envelope.mail_from, "");  // automatic replies use the null sender
  EXPECT_EQ(reply.envelope.recipients.at(0).address, "bob@remote.example");
  EXPECT_NE(reply.message.find("Auto-Submitted: auto-replied"), std::string::npos);
  EXPECT_NE(reply.message.find("I am away."), std::string::npos);
}

TEST_F(LocalDeliveryTest, WithoutQueueOrRulesTheMessageIsStillStored) {
  delivery_->set_rules(nullptr);
  delivery_->set_submitter(nullptr);
  rules_.outcome.reject = "not asked";
  auto outcomes = deliver({"alice@example.dom"});
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_EQ(rules_.calls, 0);
  EXPECT_EQ(messages("INBOX").size(), 1u);
}

}  // namespace
