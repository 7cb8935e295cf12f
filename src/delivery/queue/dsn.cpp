#include "delivery/queue/dsn.hpp"

#include "base/random.hpp"
#include "base/time_format.hpp"
#include "delivery/queue/report_text.hpp"

namespace ximssd::delivery {

namespace {

std::string status_of(const DsnRecipient& r) {
  if (r.delivered) return r.outcome.enhanced.starts_with("2.") ? r.outcome.enhanced : "2.0.0";
  // A failure whose last reply was temporary (it expired in the queue) is still a failure.
  if (r.outcome.enhanced.starts_with("5.")) return r.outcome.enhanced;
  return "5.4.7";
}

}  // namespace

std::string build_dsn(const DsnInput& in, std::string_view original) {
  size_t failed = 0, delivered = 0;
  for (const auto& r : in.recipients) (r.delivered ? delivered : failed)++;
  std::string subject = failed && delivered ? "Delivery Status Notification (Partial Failure)"
                        : failed            ? "Delivery Status Notification (Failure)"
                                            : "Delivery Status Notification (Success)";
  std::string boundary = new_boundary();
  std::string_view original_header = header_of(original);
  auto original_subject = header_field(original_header, "Subject");

  std::string m;
  m += "From: Mail Delivery System <" + in.from + ">\r\n";
  m += "To: <" + in.to + ">\r\n";
  m += "Subject: " + subject + "\r\n";
  m += "Date: " + format_rfc5322_date(in.now) + "\r\n";
  m += "Message-ID: <dsn-" + random_alnum(20) + "@" + in.reporting_mta + ">\r\n";
  m += "Auto-Submitted: auto-replied\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/report; report-type=delivery-status;\r\n boundary=\"" + boundary + "\"\r\n";
  m += "\r\n";
  m += "This is a delivery status notification in MIME format.\r\n";

  // The readable part.
  m += "\r\n--" + boundary + "\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n\r\n";
  m += "This is the mail system at " + in.reporting_mta + ".\r\n\r\n";
  if (original_subject) m += "Your message \"" + *original_subject + "\"";
  else m += "Your message";
  m += " of " + format_rfc5322_date(in.arrival) + ":\r\n\r\n";
  if (failed) {
    m += "could not be delivered to:\r\n\r\n";
    for (const auto& r : in.recipients)
      if (!r.delivered) m += "  <" + r.address + ">: " + one_line(r.outcome.reply_line()) + "\r\n";
    m += "\r\n";
  }
  if (delivered) {
    m += "was delivered to:\r\n\r\n";
    for (const auto& r : in.recipients)
      if (r.delivered)
        m += "  <" + r.address + ">" + (r.remote_mta.empty() ? " (into the mailbox)" : " (relayed to " + r.remote_mta + ")") +
             "\r\n";
    m += "\r\n";
  }

  // The machine-readable part.
  m += "--" + boundary + "\r\n";
  m += "Content-Type: message/delivery-status\r\n\r\n";
  m += "Reporting-MTA: dns; " + in.reporting_mta + "\r\n";
  if (!in.envid.empty()) m += "Original-Envelope-Id: " + one_line(in.envid) + "\r\n";
  m += "Arrival-Date: " + format_rfc5322_date(in.arrival) + "\r\n";
  for (const auto& r : in.recipients) {
    m += "\r\n";
    if (!r.original.empty()) {
      // ORCPT is "addr-type;address"; an address without a type is an rfc822 one.
      std::string orcpt = one_line(r.original);
      m += "Original-Recipient: " + (orcpt.find(';') == std::string::npos ? "rfc822; " + orcpt : orcpt) + "\r\n";
    }
    m += "Final-Recipient: rfc822; " + one_line(r.address) + "\r\n";
    m += std::string("Action: ") + (r.delivered ? "delivered" : "failed") + "\r\n";
    m += "Status: " + status_of(r) + "\r\n";
    if (!r.remote_mta.empty()) m += "Remote-MTA: dns; " + one_line(r.remote_mta) + "\r\n";
    if (r.outcome.code) m += "Diagnostic-Code: smtp; " + r.outcome.reply_line() + "\r\n";
    if (r.when) m += "Last-Attempt-Date: " + format_rfc5322_date(r.when) + "\r\n";
  }

  // The original, whole or its header.
  m += "\r\n--" + boundary + "\r\n";
  if (in.return_full) {
    m += "Content-Type: message/rfc822\r\n\r\n";
    m += original;
    if (!original.ends_with("\r\n")) m += "\r\n";
  } else {
    m += "Content-Type: text/rfc822-headers\r\n\r\n";
    m += original_header;
  }
  m += "\r\n--" + boundary + "--\r\n";
  return m;
}

}  // namespace ximssd::delivery
