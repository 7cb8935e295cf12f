// One IMAP connection's protocol state (RFC 3501 section 3): who is logged in, what is
// selected, which extensions the client enabled, and the exchange in progress (AUTHENTICATE
// waiting for a client response, IDLE waiting for DONE). Touched only on the connection's strand.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mail/mailbox_service.hpp"
#include "mail/sasl.hpp"
#include "imap/server/selected_mailbox.hpp"
#include "store/records.hpp"

namespace ximssd::imap {

enum class ImapState { not_authenticated, authenticated, selected, logout };

struct ImapSession {
  ImapState state = ImapState::not_authenticated;
  std::string peer_ip;
  bool loopback = false;
  bool tls_active = false;
  bool compressed = false;

  std::optional<store::AccountRecord> account;
  mail::Actor actor;
  std::optional<SelectedMailbox> selected;

  bool condstore = false;  // enabled (ENABLE, or a CONDSTORE parameter or MODSEQ item used)
  bool qresync = false;    // enabled (ENABLE QRESYNC)
  // SEARCHRES: the UIDs the last SEARCH ... RETURN (SAVE) found, for "$".
  std::vector<uint32_t> saved_result;

  // AUTHENTICATE in progress: the next line is the client's response.
  std::unique_ptr<mail::SaslExchange> sasl;
  std::string sasl_tag;
  // IDLE in progress: the next line must be DONE.
  std::string idle_tag;

  bool logged_in() const { return account.has_value(); }
};

}  // namespace ximssd::imap
