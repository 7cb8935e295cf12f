// The mailbox an IMAP session has selected, as its client knows it: the message sequence it
// was last told about (a shared MailboxVersion, plus what it was told since while expunges had
// to wait), which messages are \Recent for it, and the change subscription that wakes it.
// sync() compares that with the mailbox now and writes the untagged responses that bring the
// client up to date (RFC 3501 section 7: EXPUNGE/VANISHED, FETCH FLAGS, EXISTS, RECENT).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "imap/sequence_set.hpp"
#include "imap/server/mailbox_index.hpp"
#include "imap/server/recent_tracker.hpp"
#include "mail/folder_view.hpp"

namespace ximssd::imap {

struct SyncOptions {
  bool allow_expunge = true;  // false while a command that uses sequence numbers completes
  bool condstore = false;     // FETCH responses carry MODSEQ
  bool qresync = false;       // VANISHED instead of EXPUNGE
};

class SelectedMailbox {
 public:
  // `view` holds the mailbox as resolved for the actor (MessageService calls take it).
  SelectedMailbox(mail::FolderView view, bool read_only, MailboxIndex& index, RecentTracker& recent,
                  std::function<void()> on_change);

  mail::FolderView view;
  bool read_only = false;

  int64_t mailbox_id() const { return view.mailbox.record->id; }
  int64_t uid_validity() const { return view.mailbox.record->uid_validity; }

  // The sequence as the client knows it: message n is at index n-1.
  size_t count() const { return base_->size() + extra_.size(); }
  uint32_t uid_at(size_t index) const {
    return index < base_->size() ? base_->uids[index] : extra_[index - base_->size()].first;
  }
  std::optional<size_t> index_of(uint32_t uid) const;
  uint32_t highest_uid() const { return count() ? uid_at(count() - 1) : 0; }
  // The UIDs of the known sequence (ascending).
  std::vector<uint32_t> known_uids() const;
  // The indexes of the known messages whose UIDs are in `set` ("*": the highest known UID).
  std::vector<size_t> indexes_of_uids(const SequenceSet& set) const;
  bool is_recent(uint32_t uid) const;
  size_t recent_count() const;

  // The mailbox now (the shared current version).
  std::shared_ptr<const MailboxVersion> now();
  MailboxIndex::Entry& entry() { return *entry_; }
  // The HIGHESTMODSEQ the client was told of.
  int64_t reported_modseq() const { return reported_modseq_; }

  // Writes the untagged responses for every change the client has not been told of.
  void sync(std::string& out, const SyncOptions& options);
  // A change this session made and already reported (STORE's FETCH): not to be reported again.
  void note_reported(uint32_t uid, int64_t modseq);
  // Whether a change arrived since the last sync (cheap; for IDLE and command boundaries).
  // EXPUNGEs that had to wait count as a change until they are reported.
  bool changed() const { return changed_->load() || expunges_waiting_; }

 private:
  void claim_recent(uint32_t highest);

  MailboxIndex& index_;
  RecentTracker& recent_;
  std::shared_ptr<MailboxIndex::Entry> entry_;
  std::shared_ptr<const MailboxVersion> base_;
  // Messages the client was told of beyond base_ (while EXPUNGEs had to wait), with the modseq
  // it was told of.
  std::vector<std::pair<uint32_t, int64_t>> extra_;
  // Flag changes reported beyond base_ (STORE, or while EXPUNGEs had to wait): uid → modseq.
  std::unordered_map<uint32_t, int64_t> reported_;
  int64_t reported_modseq_ = 0;
  // Messages erased that the client was not told of yet (EXPUNGE had to wait): the next sync must
  // compare again even if nothing else changes meanwhile.
  bool expunges_waiting_ = false;
  // Recent for this session: UIDs in these (low, high] ranges.
  std::vector<std::pair<uint32_t, uint32_t>> recent_ranges_;
  std::shared_ptr<std::atomic<bool>> changed_ = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<void> subscription_;
};

}  // namespace ximssd::imap
