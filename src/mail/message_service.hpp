// Stored messages as a session sees them through its Folder Views: opening a view (the mailbox's
// messages, sorted), the rows and viewer fields of its messages, their text, and their
// attribute dictionaries (messageAttrRead / messageAttrWrite). Every call checks the actor's
// rights in the view's mailbox as they are now, not as they were when the view was opened.
#pragma once

#include "mime/viewer_fields.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "formats/xml/xml_value.hpp"
#include "mail/change_hub.hpp"
#include "mail/folder_view.hpp"
#include "mail/mailbox_service.hpp"
#include "mail/search/search_eval.hpp"
#include "store/store.hpp"

namespace ximssd::mail {

// One viewer field of one message, as folderBrowse reports it.
struct ViewerField {
  std::string name;
  std::string text;
  std::optional<int64_t> time;  // for time fields (Date, INTERNALDATE): seconds since the epoch
  // For "E-" address fields: each address with its real name; reported as one element each.
  std::vector<mime::AddressEntry> addresses;
};

// A change to a message's attribute dictionary: a new value, or none to remove the key.
using AttributeChange = std::pair<std::string, std::optional<xml::XmlValue>>;

class MessageService {
 public:
  MessageService(store::Store& store, MailboxService& mailboxes, ChangeHub& hub)
      : store_(store), mailboxes_(mailboxes), hub_(hub) {}

  ChangeHub& hub() { return hub_; }

  // Opens `mailbox` (needs the "r" right) as the view `name`, sorted as `spec` says.
  FolderView open_view(const Actor& actor, std::string name, std::string_view mailbox, ViewSpec spec);
  // Rebuilds an open view with a new spec (folderReopen): hidden messages come back.
  void reopen_view(const Actor& actor, FolderView& view, ViewSpec spec);
  // The changes that turn the view's logical list into the mailbox as it is now, applied to the
  // list as they are returned; at most `limit` of them (the rest wait for the next call).
  std::vector<SyncReport> synchronise(const Actor& actor, FolderView& view, std::optional<size_t> limit);

  // The store's row for message `uid` of the view (needs "r"); notFound when it is not there.
  store::MessageRecord message(const Actor& actor, const FolderView& view, int64_t uid);
  // The full rows (IMAP structures included) of messages `uids`, in the same order; nothing for a
  // message that is gone. One rights check for the lot.
  std::vector<std::optional<store::MessageRecord>> full_messages(const Actor& actor, const FolderView& view,
                                                                 const std::vector<int64_t>& uids);
  // The summary rows of messages `uids` (as views use them: no IMAP structures, no attributes),
  // in the same order, from the mailbox's shared snapshot; nothing for a message that is gone.
  // One rights check and one snapshot for the lot.
  std::vector<std::optional<store::MessageRecord>> summaries(const Actor& actor, const FolderView& view,
                                                             const std::vector<int64_t>& uids);
  // The message's text as stored, whole or its header only.
  std::string message_text(const store::MessageRecord& message);
  std::string header_text(const store::MessageRecord& message);

  // The view's viewer fields for one message (its header is read when a field needs it).
  std::vector<ViewerField> viewer_fields(const FolderView& view, const store::MessageRecord& message);

  // The message's attribute dictionary (needs "r").
  xml::XmlValue attributes(const Actor& actor, const FolderView& view, int64_t uid);
  // Applies `changes` to it (needs "w"), atomically.
  boost::asio::awaitable<void> update_attributes(const Actor& actor, const FolderView& view, int64_t uid,
                                                 std::vector<AttributeChange> changes);

  // folderSearch: the view's messages at `positions` (view indexes) that match the IMAP SEARCH
  // `query`, starting with positions[bounds.first]; `next` is the first position not examined.
  search::SearchProgress search(const Actor& actor, const FolderView& view, const search::SearchQuery& query,
                                const std::vector<size_t>& positions, const search::SearchBounds& bounds);

  // The changes to the view's mailbox since `sync_id` ("0": every message, as added), at most
  // `limit`, leaving out messages that arrived before `time_from`. The key is
  // "UIDVALIDITY.MODSEQ.UIDNEXT" (a key of another UIDVALIDITY counts as "0").
  MailboxChanges mailbox_changes(const Actor& actor, const FolderView& view, std::string_view sync_id,
                                 std::optional<size_t> limit, std::optional<int64_t> time_from);

  // Sets the `add` flags and clears the `remove` flags of the view's messages `uids`. Seen
  // needs the "s" right, Deleted "t", the others "w".
  boost::asio::awaitable<std::vector<store::FlagChange>> mark(const Actor& actor, const FolderView& view,
                                                              std::vector<int64_t> uids, uint32_t add, uint32_t remove);
  // IMAP STORE: applies `edit` (system flags and keywords) to the view's messages `uids`.
  // Seen needs the "s" right, Deleted "t", other flags and keywords "w".
  boost::asio::awaitable<store::FlagStoreResult> store_flags(const Actor& actor, const FolderView& view,
                                                             std::vector<int64_t> uids, store::FlagStore edit);
  // Erases the messages with the Deleted flag from the view's mailbox (needs "e").
  boost::asio::awaitable<size_t> expunge(const Actor& actor, const FolderView& view);
  // As expunge(), only among `uids` (IMAP UID EXPUNGE); returns the UIDs erased.
  boost::asio::awaitable<std::vector<int64_t>> expunge_uids(const Actor& actor, const FolderView& view,
                                                            std::vector<int64_t> uids);
  // Erases the view's messages `uids` at once (needs "t" and "e").
  boost::asio::awaitable<size_t> erase(const Actor& actor, const FolderView& view, std::vector<int64_t> uids);
  // Copies the view's messages `uids` into `target` (needs "r" here and "i" there); with `move`
  // the originals are erased in the same transaction (needs "t" and "e" here too).
  boost::asio::awaitable<std::vector<store::CopiedMessage>> copy(const Actor& actor, const FolderView& view,
                                                                 std::vector<int64_t> uids, std::string target,
                                                                 bool move);
  // Erases the messages of `mailbox` that arrived before `before` (seconds since the epoch;
  // none = all of them). Needs "t" and "e".
  boost::asio::awaitable<size_t> empty_mailbox(const Actor& actor, std::string mailbox, std::optional<int64_t> before);

  // The UIDs erased from the view's mailbox with a modseq above `modseq` (IMAP QRESYNC).
  std::vector<int64_t> expunged_since(const Actor& actor, const FolderView& view, int64_t modseq);
  // The view's mailbox as it is now, with the actor's rights, requiring `needed`.
  MailboxRef current_mailbox(const Actor& actor, const FolderView& view, Rights needed);
  // The shared snapshot of the view's mailbox as it is now (needs "r"): what IMAP compares its
  // sequence of messages with.
  std::shared_ptr<const MailboxSnapshot> current_snapshot(const Actor& actor, const FolderView& view);

 private:
  // The mailbox's shared snapshot (see ChangeHub).
  std::shared_ptr<const MailboxSnapshot> snapshot(int64_t mailbox_id);
  // The view's messages as it would be opened now, in view order.
  std::vector<const store::MessageRecord*> arrange(FolderView& view, const MailboxSnapshot& snapshot);
  // Decides the text filter for the messages not decided yet (reading them as it needs).
  void match_filter(FolderView& view, const std::vector<const store::MessageRecord*>& messages);

  store::Store& store_;
  MailboxService& mailboxes_;
  ChangeHub& hub_;
};

// The attribute dictionary as stored (XML dictionary text), and back.
std::string encode_attributes(const xml::XmlValue& dictionary);
xml::XmlValue decode_attributes(std::string_view stored);

}  // namespace ximssd::mail
