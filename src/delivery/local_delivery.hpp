// Delivery into local accounts (LocalDeliverer): which addresses are ours, the quota check at
// RCPT, and per recipient the Rules' outcome applied (reject, store in INBOX and other
// mailboxes with flags, copies sent through the queue), the stored copy carrying Return-Path
// and a Received trace field. A recipient's success is returned only once its copies are
// durable: MessageIngest::append resumes after the group commit.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <string>

#include "delivery/envelope.hpp"
#include "delivery/rules/rule_evaluator.hpp"
#include "mail/account_service.hpp"
#include "mail/mailbox_service.hpp"
#include "mail/message_ingest.hpp"
#include "mail/quota.hpp"

namespace ximssd::delivery {

// Where a message came from, for its Received field (RFC 5321 section 4.4).
struct Trace {
  std::string helo;      // the name the client gave in LHLO/EHLO/HELO
  std::string peer_ip;   // empty for a Unix-socket peer
  std::string protocol;  // "LMTP", "ESMTP", "ESMTPS", "SMTP", ... (RFC 3848)
};

class LocalDelivery : public LocalDeliverer {
 public:
  LocalDelivery(mail::AccountService& accounts, mail::MailboxService& mailboxes, mail::MessageIngest& ingest,
                mail::QuotaService& quota, boost::asio::thread_pool& blocking, std::string host_name);

  // Both may stay null: no Rules are run, and copies the Rules would send are logged and skipped.
  void set_rules(RuleEvaluator* rules) { rules_ = rules; }
  void set_submitter(MessageSubmitter* submitter) { submitter_ = submitter; }

  AddressKind classify(std::string_view address) override;
  std::optional<Outcome> check_recipient(std::string_view address, uint64_t size) override;
  boost::asio::awaitable<std::vector<Outcome>> deliver(const Envelope& envelope,
                                                       std::shared_ptr<const std::string> message,
                                                       Source source) override;
  // As deliver(), with the trace of the connection the message came in on.
  boost::asio::awaitable<std::vector<Outcome>> deliver(const Envelope& envelope,
                                                       std::shared_ptr<const std::string> message, Source source,
                                                       const Trace& trace);

 private:
  // 452 4.2.2 when `size` more bytes would put the account over its quota.
  std::optional<Outcome> quota_refusal(const mail::AccountRecord& account, uint64_t size);
  std::optional<mail::AccountRecord> find_account(std::string_view address);
  boost::asio::awaitable<Outcome> deliver_one(const Envelope& envelope, const Recipient& recipient,
                                              const std::string& message, Source source, const Trace& trace);
  boost::asio::awaitable<void> store(const mail::AccountRecord& account, const std::vector<std::string>& mailboxes,
                                     std::string bytes, uint32_t flags, std::string keywords);
  boost::asio::awaitable<void> send_copies(const mail::AccountRecord& account, const RuleOutcome& outcome,
                                           const std::string& message);
  boost::asio::awaitable<void> submit(const char* what, Envelope envelope, std::string message);
  std::string trace_fields(const Envelope& envelope, std::string_view recipient, const Trace& trace) const;

  mail::AccountService& accounts_;
  mail::MailboxService& mailboxes_;
  mail::MessageIngest& ingest_;
  mail::QuotaService& quota_;
  boost::asio::thread_pool& blocking_;
  std::string host_;
  RuleEvaluator* rules_ = nullptr;
  MessageSubmitter* submitter_ = nullptr;
};

}  // namespace ximssd::delivery
