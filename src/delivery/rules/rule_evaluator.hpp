// What delivery asks of an account's Rules (E-im-roster-files-more.md section 6): given one
// recipient's copy of a message, which actions the matching mailIn Rules take, in priority order
// with "Stop Processing". Local delivery applies the outcome (stores, sends, rejects); the Rules
// module only decides. Implemented by delivery::RuleEngine.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/envelope.hpp"
#include "store/records.hpp"

namespace ximssd::delivery {

struct RuleInput {
  const store::AccountRecord& account;  // the recipient's account
  std::string_view recipient;           // the envelope address it was reached by
  const Envelope& envelope;
  std::string_view message;             // the message as received (CRLF line ends)
  Source source;
};

struct RuleOutcome {
  // "Reject with": the recipient's reply is a permanent failure with this text; nothing is
  // stored and nothing is sent.
  std::optional<std::string> reject;
  // "Discard": no copy in INBOX. Copies "Store in" asked for are still stored.
  bool discard = false;
  std::vector<std::string> store_in;  // "Store in": further mailboxes of the recipient (created if missing)
  std::vector<std::string> flags;     // "Mark": flag names as XIMSS spells them (Seen, Flagged, $Label1...)
  std::optional<std::string> message; // the message after "Add Header" / "Tag Subject", when changed
  // Copies to send (through the queue, Source::generated, from the recipient's address):
  std::vector<std::string> mirror_to;    // "Mirror to": the message unchanged, new envelope only
  std::vector<std::string> redirect_to;  // "Redirect to": with Resent-* fields
  std::vector<std::string> forward_to;   // "Forward to": attached to a new message
  // "Reply with" / "Reply to All with": an automatic reply (RFC 3834) to send. The evaluator has
  // already checked that this sender gets no more than one per rules.vacation_period, and that
  // the message is not itself automatic or bulk mail.
  struct Reply {
    std::vector<std::string> to;
    std::string text;
  };
  std::optional<Reply> reply;
  std::vector<std::string> matched;  // names of the Rules whose conditions held, for the log
};

class RuleEvaluator {
 public:
  virtual ~RuleEvaluator() = default;
  // Blocking (reads the account's Rules and its automatic-reply record, and may update the
  // latter): call it on the blocking pool. Never throws for a bad Rule: a Rule that cannot be
  // evaluated is skipped and logged.
  virtual RuleOutcome evaluate(const RuleInput& input) = 0;
};

}  // namespace ximssd::delivery
