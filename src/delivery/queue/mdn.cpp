#include "delivery/queue/mdn.hpp"

#include "base/random.hpp"
#include "base/time_format.hpp"
#include "delivery/queue/report_text.hpp"

namespace ximssd::delivery {

std::optional<std::string> disposition_notification_to(std::string_view original) {
  auto value = header_field(header_of(original), "Disposition-Notification-To");
  if (!value) return std::nullopt;
  std::string address = first_address(*value);
  if (address.empty() || address.find('@') == std::string::npos) return std::nullopt;
  return address;
}

std::string build_mdn(const MdnInput& in, std::string_view original, const std::string& to) {
  std::string_view header = header_of(original);
  auto subject = header_field(header, "Subject");
  auto message_id = header_field(header, "Message-ID");
  auto original_recipient = header_field(header, "Original-Recipient");
  auto date = header_field(header, "Date");
  std::string boundary = new_boundary();
  // Displaying is the user's doing; the sending mode says whether the user chose to send this.
  std::string disposition = std::string("manual-action/") +
                            (in.sent_automatically ? "MDN-sent-automatically" : "MDN-sent-manually") + "; displayed";

  std::string m;
  if (in.from_name.empty()) m += "From: <" + in.from + ">\r\n";
  else m += "From: \"" + one_line(in.from_name) + "\" <" + in.from + ">\r\n";
  m += "To: <" + to + ">\r\n";
  m += "Subject: Read: " + (subject ? *subject : std::string()) + "\r\n";
  m += "Date: " + format_rfc5322_date(in.now) + "\r\n";
  m += "Message-ID: <mdn-" + random_alnum(20) + "@" + in.reporting_ua + ">\r\n";
  if (message_id) m += "References: " + *message_id + "\r\n";
  m += "Auto-Submitted: auto-replied\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/report; report-type=disposition-notification;\r\n boundary=\"" + boundary + "\"\r\n";
  m += "\r\n";
  m += "--" + boundary + "\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n\r\n";
  m += "The message";
  if (date) m += " sent on " + *date;
  m += " to " + in.from;
  if (subject) m += " with subject \"" + *subject + "\"";
  m += " has been displayed.\r\nThis is no guarantee that the message has been read or understood.\r\n";
  m += "\r\n--" + boundary + "\r\n";
  m += "Content-Type: message/disposition-notification\r\n\r\n";
  m += "Reporting-UA: " + in.reporting_ua + "; ximssd\r\n";
  if (original_recipient) m += "Original-Recipient: " + *original_recipient + "\r\n";
  m += "Final-Recipient: rfc822; " + in.from + "\r\n";
  if (message_id) m += "Original-Message-ID: " + *message_id + "\r\n";
  m += "Disposition: " + disposition + "\r\n";
  m += "\r\n--" + boundary + "\r\n";
  m += "Content-Type: text/rfc822-headers\r\n\r\n";
  m += header;
  m += "\r\n--" + boundary + "--\r\n";
  return m;
}

}  // namespace ximssd::delivery
