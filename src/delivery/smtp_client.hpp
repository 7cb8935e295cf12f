// The queue's SMTP client (RFC 5321): hands one message for a set of recipients to one server
// (a relay, or the MX hosts of the recipients' domain, tried in order), and reports one Outcome
// per recipient. It uses what the server offers: STARTTLS (opportunistic, the certificate is not
// verified: an MX host's certificate rarely names it, and a refusal to deliver over an
// unverified channel would only push mail back to cleartext), AUTH PLAIN or LOGIN through GNU
// SASL when a user is configured, SIZE, 8BITMIME and DSN (RET, ENVID, NOTIFY, ORCPT).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "delivery/envelope.hpp"
#include "delivery/smtp_reply.hpp"

namespace ximssd::delivery {

struct SmtpServer {
  std::string host;  // for SNI, the DSN's Remote-MTA and logs
  uint16_t port = 25;
  // Addresses to connect to, in order; empty: `host` is resolved with the system's resolver.
  std::vector<boost::asio::ip::address> addresses;
};

struct SmtpClientOptions {
  std::string helo_name = "localhost";
  std::chrono::seconds timeout{120};         // per reply (and per connection attempt)
  std::string user, password;                // AUTH when `user` is set
  boost::asio::ssl::context* tls = nullptr;  // STARTTLS when offered (null: never)
};

struct SmtpResult {
  std::vector<Outcome> outcomes;  // one per envelope recipient, in order
  std::string server;             // the host that gave the answers (empty when none was reached)
};

// Tries `servers` in order: a server that cannot be reached, or that refuses the session before
// the transaction starts, passes the turn to the next one. When none takes the message every
// recipient gets the last failure (a connection failure is a temporary one).
boost::asio::awaitable<SmtpResult> smtp_deliver(const std::vector<SmtpServer>& servers,
                                                const SmtpClientOptions& options, const Envelope& envelope,
                                                std::shared_ptr<const std::string> message);

// A TLS client context for opportunistic STARTTLS: TLS 1.2 or later, no certificate verification.
std::unique_ptr<boost::asio::ssl::context> make_smtp_client_tls();

}  // namespace ximssd::delivery
