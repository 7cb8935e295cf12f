// Password recovery by e-mail (XIMSS recoverPassword): a one-time token, valid for an hour, that
// lets whoever holds it set a new password on the password-reset page. Only a hash of the token
// is kept (the account setting "PasswordReset": "<sha-256 hex> <expiry epoch>"), so a copy of the
// database does not hand out live tokens; a new token replaces the old one, and using it
// removes it.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

#include "mail/account_service.hpp"

namespace ximssd::mail {

class PasswordReset {
 public:
  explicit PasswordReset(AccountService& accounts, std::chrono::seconds lifetime = std::chrono::hours(1))
      : accounts_(accounts), lifetime_(lifetime) {}

  // True when a token was issued less than a minute ago (and is unused): no second mail then, so
  // that recoverPassword cannot flood a mailbox.
  bool recently_issued(int64_t account_id);

  // A new token for the account ("<account id>.<secret>"), replacing any earlier one.
  boost::asio::awaitable<std::string> issue(int64_t account_id);

  // Sets `password` on the token's account and consumes the token. Throws Failure: notFound when
  // the token is unknown, used or expired (one message for all three), badRequest for a password
  // the server refuses. Returns the account's address.
  boost::asio::awaitable<std::string> redeem(std::string token, std::string password);

 private:
  AccountService& accounts_;
  std::chrono::seconds lifetime_;
};

}  // namespace ximssd::mail
