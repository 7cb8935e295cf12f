// What IMAP sessions know of a selected mailbox, shared by all of them: its messages' UIDs,
// flags, keywords and modseqs in UID order, compact (20 bytes a message), as one immutable
// version per state of the mailbox. A change makes the current version stale; the next reader
// builds the new one from the old and the store's changes since its modseq (an indexed query),
// never by rereading the mailbox. Sessions hold the version they last reported to their client,
// so ten thousand sessions idling in one mailbox share a single copy.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mail/change_hub.hpp"
#include "store/store.hpp"

namespace ximssd::imap {

struct MailboxVersion {
  int64_t mailbox_id = 0;
  int64_t modseq = 0;  // every change up to this modseq is reflected
  std::vector<uint32_t> uids;     // ascending
  std::vector<uint32_t> flags;    // mail/message_flags.hpp bits
  std::vector<int64_t> modseqs;
  std::vector<uint32_t> keywords;  // index into keyword_sets (0: none)
  std::vector<std::string> keyword_sets{std::string()};

  size_t size() const { return uids.size(); }
  // The position of `uid`, or nothing.
  std::optional<size_t> find(uint32_t uid) const;
  const std::string& keywords_of(size_t i) const { return keyword_sets[keywords[i]]; }
};

class MailboxIndex {
 public:
  MailboxIndex(store::Store& store, mail::ChangeHub& hub) : store_(store), hub_(hub) {}

  // One mailbox followed while some session holds it.
  class Entry {
   public:
    int64_t mailbox_id() const { return mailbox_id_; }

   private:
    friend class MailboxIndex;
    int64_t mailbox_id_ = 0;
    std::mutex mutex_;
    std::shared_ptr<const MailboxVersion> current_;
    std::atomic<bool> stale_{true};
    std::shared_ptr<void> subscription_;
    // Texts (see fill_rows), by UID; loaded whole the first time a search needs them.
    std::mutex texts_mutex_;
    bool texts_loaded_ = false;
    std::unordered_map<uint32_t, store::MessageRecord> texts_;
  };

  mail::ChangeHub& hub() { return hub_; }

  // The mailbox's entry, shared with every other session that holds it.
  std::shared_ptr<Entry> follow(int64_t mailbox_id);
  // The mailbox as it is now (built or brought up to date on the caller's thread).
  std::shared_ptr<const MailboxVersion> current(Entry& entry);

  // Rows for searching and sorting the messages `uids` (in that order): what never changes for a
  // message (the cached Subject, From, To, Cc, Message-ID, dates, size, where its body is) from
  // a per-mailbox cache that outlives versions, and the flags, keywords and modseq of `now`.
  // `rows` is the caller's buffer, kept between calls: a row still holding the same message is
  // only patched. A message that is gone is left with an empty blob id.
  void fill_rows(Entry& entry, const MailboxVersion& now, const std::vector<uint32_t>& uids,
                 std::vector<store::MessageRecord>& rows);

 private:
  std::shared_ptr<const MailboxVersion> load(int64_t mailbox_id);
  // The version after `from`, or null when nothing changed.
  std::shared_ptr<const MailboxVersion> advance(const MailboxVersion& from);

  store::Store& store_;
  mail::ChangeHub& hub_;
  std::mutex mutex_;
  std::unordered_map<int64_t, std::weak_ptr<Entry>> entries_;
};

}  // namespace ximssd::imap
