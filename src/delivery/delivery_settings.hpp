// Mail flow settings (config keys lmtp.*, smtp.*, queue.*, rules.*).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ximssd::delivery {

// Inbound: LMTP (RFC 2033) from an MTA, and SMTP for direct delivery to local accounts.
struct InboundSettings {
  std::string lmtp_listen = "127.0.0.1";
  uint16_t lmtp_port = 10024;    // 0 = none
  std::string lmtp_socket;       // Unix socket path; empty = DATA/lmtp.sock; "none" = no socket
  std::string smtp_listen = "0.0.0.0";
  uint16_t smtp_port = 10025;    // inbound SMTP (local recipients only, never a relay); 0 = none
  uint64_t max_message_size = 50ull * 1024 * 1024;  // SIZE; larger messages get 552
  unsigned max_recipients = 1000;                   // per transaction; more get 452
  std::chrono::seconds timeout{300};                // a silent client is disconnected
  unsigned max_bad_commands = 20;                   // errors in a row before the connection is closed
};

// Outbound: the durable queue under DATA/queue and its SMTP client.
struct QueueSettings {
  std::string relay_host;        // empty: straight to the recipient domain's MX (c-ares)
  uint16_t relay_port = 25;
  std::string relay_user;        // AUTH to the relay when set
  std::string relay_password;
  uint16_t mx_port = 25;         // port used for MX hosts (tests point it elsewhere)
  std::string dns_server;        // empty: the system's resolvers; else "address[:port]" for c-ares
  std::string helo_name;         // empty: the server's host name
  std::chrono::seconds first_retry{60};      // after a temporary failure; doubles each time
  std::chrono::seconds max_retry{3600};      // longest wait between attempts
  std::chrono::seconds max_age{5 * 86400};   // a message still undelivered after this bounces
  unsigned concurrency = 16;                 // SMTP deliveries at once
  std::chrono::seconds smtp_timeout{120};    // per SMTP reply
};

struct RulesSettings {
  std::chrono::seconds vacation_period{7 * 86400};  // at most one automatic reply per sender per period
};

struct DeliverySettings {
  InboundSettings inbound;
  QueueSettings queue;
  RulesSettings rules;
};

}  // namespace ximssd::delivery
