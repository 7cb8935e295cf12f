// What IMAP commands can reach: the settings and the server's services. One per server.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <string>

#include "imap/server/imap_settings.hpp"
#include "imap/server/mailbox_index.hpp"
#include "imap/server/recent_tracker.hpp"
#include "mail/account_service.hpp"
#include "mail/login_throttle.hpp"
#include "mail/mailbox_service.hpp"
#include "mail/message_ingest.hpp"
#include "mail/message_service.hpp"
#include "mail/quota.hpp"
#include "mail/sasl.hpp"

namespace ximssd::imap {

struct ImapContext {
  ImapSettings settings;
  std::string default_domain;
  mail::AccountService& accounts;
  mail::MailboxService& mailboxes;
  mail::MessageIngest& ingest;
  mail::MessageService& messages;
  mail::SaslServer& sasl;
  mail::LoginThrottle& throttle;
  mail::QuotaService& quota;
  RecentTracker& recent;
  MailboxIndex& index;
  boost::asio::thread_pool& blocking;
  boost::asio::ssl::context* tls = nullptr;  // null when TLS is not configured
};

}  // namespace ximssd::imap
