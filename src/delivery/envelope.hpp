// What the mail-flow pieces hand each other: an SMTP envelope, the outcome of delivering to one
// recipient, and the two doors every delivery goes through: local delivery (rules, then the
// store) and the outbound queue. The interfaces are abstract so that the LMTP/SMTP server, the
// queue and the rules depend on each other only through this header.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::delivery {

struct Recipient {
  std::string address;           // addr-spec, without angle brackets
  bool notify_success = false;   // DSN NOTIFY=SUCCESS (XIMSS useDSN="yes")
  bool notify_failure = true;    // NOTIFY=FAILURE (the default); NOTIFY=NEVER clears both
  std::string original;          // ORCPT, when given
};

struct Envelope {
  std::string mail_from;         // reverse-path; empty = the null sender <> (bounces, auto-replies)
  std::vector<Recipient> recipients;
  std::string envid;             // DSN ENVID
  bool return_full = false;      // DSN RET=FULL (else headers only)
};

// How a message entered: decides which rules' conditions hold ("Source") and what is trusted.
enum class Source {
  lmtp,           // from the local MTA
  smtp,           // inbound SMTP from the network
  authenticated,  // submitted by a logged-in user (XIMSS messageSubmit, ...)
  generated,      // made by the server (DSN, automatic reply, redirect by a rule, password reset)
};

// One recipient's result, as an SMTP reply: code 250 delivered, 4xx try later, 5xx never.
struct Outcome {
  int code = 250;
  std::string enhanced = "2.0.0";  // RFC 3463 status
  std::string text = "OK";
  bool ok() const { return code / 100 == 2; }
  // "250 2.0.0 OK": an SMTP/LMTP reply line without CRLF.
  std::string reply_line() const;
  bool temporary() const { return code / 100 == 4; }
  static Outcome delivered() { return {}; }
  static Outcome temporary_failure(std::string text, std::string enhanced = "4.3.0") {
    return {451, std::move(enhanced), std::move(text)};
  }
  static Outcome permanent_failure(std::string text, std::string enhanced = "5.0.0", int code = 550) {
    return {code, std::move(enhanced), std::move(text)};
  }
};

// Where an address lives.
enum class AddressKind {
  local_account,  // an account (or alias) in a domain this server serves
  unknown_local,  // a domain this server serves, but no such account
  remote,         // any other domain
};

// Delivery into local accounts: runs each recipient's rules, then stores the message, and
// resumes only when every stored copy is durable. Implemented by delivery::LocalDelivery.
class LocalDeliverer {
 public:
  virtual ~LocalDeliverer() = default;
  // Reads the account tables (a short store read; fine on a network thread).
  virtual AddressKind classify(std::string_view address) = 0;
  // Is the recipient able to take `size` more bytes now (quota)? A temporary or permanent
  // failure when not; nullopt when it can.
  virtual std::optional<Outcome> check_recipient(std::string_view address, uint64_t size) = 0;
  // One outcome per envelope recipient, in order; every recipient must be local.
  virtual boost::asio::awaitable<std::vector<Outcome>> deliver(const Envelope& envelope,
                                                               std::shared_ptr<const std::string> message,
                                                               Source source) = 0;
};

// The outbound queue: a message handed to it is on disk (fsynced) before `submit` returns, and
// is then delivered to every recipient (local ones through LocalDeliverer, remote ones over
// SMTP), with retries and a delivery-status notification to the sender on final failure.
// Implemented by delivery::MailQueue.
class MessageSubmitter {
 public:
  virtual ~MessageSubmitter() = default;
  // Returns the queue id. Throws Failure when the message cannot be queued (disk full...).
  virtual boost::asio::awaitable<std::string> submit(Envelope envelope, std::string message, Source source) = 0;
};

}  // namespace ximssd::delivery
