// Storing new messages: the header fields the store caches (parsed with GMime), and appends,
// single (sessions, through the group-commit writer) or in batches (import).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/change_hub.hpp"
#include "mail/mailbox_service.hpp"
#include "mail/mbox_reader.hpp"
#include "store/records.hpp"
#include "store/store.hpp"

namespace ximssd::mail {

// The cached fields of a message: header size, Date, Subject (decoded), From/To/Cc (decoded
// display form), Message-ID, In-Reply-To, and the IMAP ENVELOPE, BODY and BODYSTRUCTURE.
store::CachedHeader cache_header(std::string_view message);

// messageAppend's replacesUID: the new message takes the place of an old one, atomically.
struct Replacement {
  enum class Mode {
    plain,          // remove the old message if it is there
    check_old,      // fail unless the old message is there
    copy_orig_uid,  // as check_old, and the new message keeps the old one's ORIGUID
    orig_uid,       // `uid` is an ORIGUID; otherwise as copy_orig_uid
  };
  int64_t uid = 0;
  Mode mode = Mode::plain;
};

class MessageIngest {
 public:
  // `hub`, when given, hears of every append (null for tools that run without sessions).
  MessageIngest(store::Store& store, MailboxService& mailboxes, boost::asio::thread_pool* blocking_pool,
                ChangeHub* hub = nullptr)
      : store_(store), mailboxes_(mailboxes), pool_(blocking_pool), hub_(hub) {}

  // Appends one message to `mailbox` (needs the "i" right) and resumes once it is durable.
  // With `replace`, the old message is removed in the same transaction (needs "t" and "e" too).
  boost::asio::awaitable<store::AppendedMessage> append(const Actor& actor, std::string mailbox,
                                                        IncomingMessage message,
                                                        std::optional<Replacement> replace = std::nullopt);
  // Appends to a mailbox by id without rights checks (trusted callers: import, delivery), in
  // one transaction and one durable commit. Blocking.
  std::vector<store::AppendedMessage> append_batch_now(int64_t mailbox_id, std::vector<IncomingMessage>& messages);

 private:
  // Writes the body (staged, not yet published) and computes the row with its cached fields.
  struct Prepared {
    store::StagedBlob blob;
    store::NewMessage row;
  };
  Prepared prepare(int64_t mailbox_id, const IncomingMessage& message);

  store::Store& store_;
  MailboxService& mailboxes_;
  boost::asio::thread_pool* pool_;
  ChangeHub* hub_;
};

}  // namespace ximssd::mail
