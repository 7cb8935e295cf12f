// What XIMSS handlers can reach: the services, the settings, and the per-connection state.
// The same handlers serve XIMSS over TCP and (later) over HTTP; only the transport differs.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "mail/account_service.hpp"
#include "mail/login_nonces.hpp"
#include "mail/login_throttle.hpp"
#include "mail/mailbox_service.hpp"
#include "mail/password_reset.hpp"
#include "mail/message_ingest.hpp"
#include "mail/message_service.hpp"
#include "mail/sasl.hpp"
#include "delivery/envelope.hpp"
#include "ximss/session.hpp"

namespace ximssd::ximss {

class StringsDictionary;
class KnownValues;

struct XimssSettings {
  size_t max_message_size = 1 << 20;
  size_t max_depth = 64;
  std::chrono::seconds idle_timeout{600};
  std::chrono::seconds login_timeout{60};
  unsigned max_errors = 10;
  bool loopback_is_secure = true;
  bool cleartext_on_insecure = false;
};

struct XimssContext {
  XimssSettings settings;
  std::string default_domain;
  mail::AccountService& accounts;
  mail::MailboxService& mailboxes;
  mail::MessageIngest& ingest;
  mail::MessageService& messages;
  mail::SaslServer& sasl;
  mail::LoginThrottle& throttle;
  mail::LoginNonces& nonces;
  SessionRegistry& sessions;
  const StringsDictionary& strings;
  const KnownValues& known_values;
  boost::asio::thread_pool& blocking;
  boost::asio::ssl::context* tls = nullptr;  // null when TLS is not configured
  // The outbound queue (messageSubmit, messageRedirect, ...); null: sending is unavailable.
  delivery::MessageSubmitter* submitter = nullptr;
  std::string host_name = "localhost";  // this server's name, for generated messages
  // recoverPassword: the tokens, and the URL of the page that takes them (the HTTP server's).
  mail::PasswordReset* password_reset = nullptr;
  std::string password_reset_url;
  std::chrono::milliseconds recover_delay{1000};  // recoverPassword answers after this
};

// Per-connection state shared by the transport and the handlers.
struct ConnectionState {
  std::string peer_ip;
  bool loopback = false;
  bool tls_active = false;
  bool tls_available = false;
  std::string target_domain;  // chosen before login with a `domain` attribute
  std::shared_ptr<Session> session;

  // A SASL exchange in progress: `auth` requests must carry this id.
  std::unique_ptr<mail::SaslExchange> sasl;
  std::string sasl_id;
  std::string sasl_domain;
  std::string sasl_version;

  // What the transport does once the current response is out.
  enum class After { nothing, close, start_tls } after = After::nothing;

  bool secure(const XimssSettings& s) const { return tls_active || (loopback && s.loopback_is_secure); }
};

}  // namespace ximssd::ximss
