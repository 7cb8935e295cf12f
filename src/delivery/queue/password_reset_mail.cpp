#include "delivery/queue/password_reset_mail.hpp"

#include "base/random.hpp"
#include "base/time_format.hpp"
#include "delivery/queue/report_text.hpp"

namespace ximssd::delivery {

std::string build_password_reset_mail(const PasswordResetMail& mail) {
  std::string m;
  m += "From: Mail Server <" + mail.from + ">\r\n";
  m += "To: <" + mail.to + ">\r\n";
  m += "Subject: Password reset for " + one_line(mail.account) + "\r\n";
  m += "Date: " + format_rfc5322_date(mail.now) + "\r\n";
  m += "Message-ID: <reset-" + random_alnum(20) + "@" + mail.host + ">\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: 7bit\r\n";
  m += "\r\n";
  m += "Someone (hopefully you) asked to reset the password of " + one_line(mail.account) + ".\r\n";
  m += "To choose a new password, open this link within an hour:\r\n\r\n";
  m += mail.link + "\r\n\r\n";
  m += "The link works once. If you did not ask for this, ignore this message:\r\n";
  m += "the password stays as it is.\r\n";
  return m;
}

}  // namespace ximssd::delivery
