// The mail XIMSS recoverPassword sends to an account's recovery address: a link to the
// password-reset page with a one-time token (mail/password_reset.hpp).
#pragma once

#include <cstdint>
#include <string>

namespace ximssd::delivery {

struct PasswordResetMail {
  std::string from;     // the domain's postmaster
  std::string to;       // the recovery address
  std::string account;  // the account's address
  std::string link;     // the page's URL with the token
  std::string host;     // for the Message-ID
  int64_t now = 0;
};

std::string build_password_reset_mail(const PasswordResetMail& mail);

}  // namespace ximssd::delivery
