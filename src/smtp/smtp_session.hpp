// One LMTP or SMTP conversation's state, apart from the socket: the greeting, each command's
// reply, the transaction (MAIL, RCPT, DATA) and its end, where the message is delivered. The
// connection feeds it lines and, during DATA, the decoder; it writes what comes back.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

#include "delivery/envelope.hpp"
#include "smtp/smtp_context.hpp"
#include "smtp/smtp_syntax.hpp"

namespace ximssd::smtp {

class SmtpSession {
 public:
  SmtpSession(SmtpContext& ctx, Dialect dialect, std::string peer_ip);

  std::string greeting() const;

  enum class After {
    nothing,
    close,      // QUIT, or too many errors: close once the reply is out
    start_tls,  // the 220 to STARTTLS is queued: hand over to TLS once it is out
    data,       // the 354 is queued: the next bytes are the message (see decoder())
  };
  // Handles one command line (without its line end) and appends the reply to `out`.
  After command(std::string_view line, std::string& out);
  // A line longer than the limit arrived (and was dropped).
  After line_too_long(std::string& out);
  // The message being received after DATA, or null.
  DataDecoder* decoder() { return decoder_ ? &*decoder_ : nullptr; }
  // The end of the message arrived: delivers it and appends the replies (LMTP: one per accepted
  // recipient, in order; SMTP: one).
  boost::asio::awaitable<void> end_of_data(std::string& out);
  // TLS is now active: everything learned before it is forgotten (RFC 3207 section 4.2).
  void tls_started();
  // Says goodbye on a timeout.
  std::string timeout_reply() const;

 private:
  void reply(std::string& out, int code, std::string_view enhanced, std::string_view text) const;
  After error(std::string& out, int code, std::string_view enhanced, std::string_view text);
  After hello(const CommandLine& c, std::string& out);
  After mail(const CommandLine& c, std::string& out);
  After rcpt(const CommandLine& c, std::string& out);
  After data(const CommandLine& c, std::string& out);
  After starttls(const CommandLine& c, std::string& out);
  void reset();
  const char* protocol_name() const;

  SmtpContext& ctx_;
  Dialect dialect_;
  std::string peer_ip_;
  std::string helo_;
  bool greeted_ = false;
  bool extended_ = false;  // EHLO or LHLO (not HELO): replies carry enhanced status codes
  bool tls_ = false;
  unsigned bad_in_a_row_ = 0;
  // The transaction.
  std::optional<MailFrom> mail_from_;
  std::vector<delivery::Recipient> recipients_;
  std::optional<DataDecoder> decoder_;
};

}  // namespace ximssd::smtp
