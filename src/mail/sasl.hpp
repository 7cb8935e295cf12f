// Server-side SASL for every protocol (XIMSS login, later IMAP AUTHENTICATE).
// PLAIN and SCRAM-SHA-256 run in GNU SASL; CRAM-MD5 is done here because GNU SASL's CRAM-MD5
// server wants the cleartext password, which ximssd does not keep (see credentials.hpp).
// step() may hash passwords: call it off the network threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/account_service.hpp"

struct Gsasl;

namespace ximssd::mail {

class SaslExchange {
 public:
  struct Step {
    enum class Kind { challenge, success, failure } kind;
    std::string data;  // challenge bytes (decoded), or the final server data on success
  };
  virtual ~SaslExchange() = default;
  // `client_data` is the decoded client message; `present` is false when the client gave none
  // (the mechanism's initial step without an initial response).
  virtual Step step(std::string_view client_data, bool present) = 0;
  // The account that authenticated, after a success; on failure, the account whose name the
  // client gave if it exists (so that the failure can be recorded against it).
  const std::optional<AccountRecord>& account() const { return account_; }
  const std::string& claimed_name() const { return claimed_; }

 protected:
  std::optional<AccountRecord> account_;
  std::string claimed_;
};

class SaslServer {
 public:
  SaslServer(AccountService& accounts, std::string default_domain, std::string hostname);
  ~SaslServer();
  SaslServer(const SaslServer&) = delete;
  SaslServer& operator=(const SaslServer&) = delete;

  // Mechanisms offered on a connection; PLAIN only when it is secure.
  std::vector<std::string> mechanisms(bool secure) const;
  // nullptr when the mechanism is unknown or not offered on this connection.
  std::unique_ptr<SaslExchange> start(std::string_view mechanism, bool secure, std::string_view domain);

  // Resolves "name" or "name@domain" to an account (default domain for a bare name).
  std::optional<AccountRecord> resolve(std::string_view login_name, std::string_view domain);
  AccountService& accounts() { return accounts_; }
  const std::string& hostname() const { return hostname_; }

 private:
  AccountService& accounts_;
  std::string default_domain_;
  std::string hostname_;
  Gsasl* gsasl_ = nullptr;
};

}  // namespace ximssd::mail
