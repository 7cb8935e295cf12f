// Messages the server makes from a stored or received one, to be queued: a redirect (the
// message with RFC 5322 Resent-* fields), a forward (the message attached to a new one), and an
// automatic reply (RFC 3834). Used by the Rules at delivery and by XIMSS messageRedirect and
// messageForward. Delivery-status and disposition notifications live with the queue.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::delivery {

struct MessageAuthor {
  std::string address;    // addr-spec
  std::string real_name;  // may be empty
};

struct MakeOptions {
  std::string host = "localhost";  // for Message-IDs
  int64_t now = 0;                 // seconds since the epoch, for Date and Resent-Date
};

// RFC 5322 section 3.6.6: Resent-From, Resent-To, Resent-Date and Resent-Message-ID are put
// before the header; the rest of the message is unchanged (To and Cc keep the original
// recipients). `to` may be empty (no Resent-To). Input and output use CRLF.
std::string redirect_message(std::string_view original, const MessageAuthor& by,
                             const std::vector<std::string>& to, const MakeOptions& options);

// A new message from `by` to `to`, Subject "Fwd: <original Subject>", with a short text part and
// the original attached as message/rfc822.
std::string forward_message(std::string_view original, const MessageAuthor& by,
                            const std::vector<std::string>& to, const MakeOptions& options);

// RFC 3834 automatic reply from `from` to `to`: Subject "Re: <original Subject>" (no second
// "Re:"), In-Reply-To and References from the original's Message-ID, "Auto-Submitted:
// auto-replied", text/plain UTF-8 body `text`.
std::string auto_reply(std::string_view original, const MessageAuthor& from, const std::vector<std::string>& to,
                       std::string_view text, const MakeOptions& options);

// Whether a message must get no automatic reply (RFC 3834 section 2): Auto-Submitted other than
// "no", Precedence bulk/list/junk, List-Id or List-Unsubscribe present.
bool is_automatic_or_bulk(std::string_view message);

}  // namespace ximssd::delivery
