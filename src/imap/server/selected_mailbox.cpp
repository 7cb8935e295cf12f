#include "imap/server/selected_mailbox.hpp"

#include <algorithm>

#include "imap/response_text.hpp"
#include "imap/server/imap_flags.hpp"

namespace ximssd::imap {

SelectedMailbox::SelectedMailbox(mail::FolderView v, bool ro, MailboxIndex& index, RecentTracker& recent,
                                 std::function<void()> on_change)
    : view(std::move(v)), read_only(ro), index_(index), recent_(recent) {
  entry_ = index_.follow(mailbox_id());
  // Subscribed before the first read, so that no change can fall between them.
  subscription_ = index_.hub().subscribe(mailbox_id(), [changed = changed_, on_change = std::move(on_change)] {
    changed->store(true);
    if (on_change) on_change();
  });
  changed_->store(false);
  base_ = index_.current(*entry_);
  reported_modseq_ = base_->modseq;
  claim_recent(highest_uid());
}

void SelectedMailbox::claim_recent(uint32_t highest) {
  // \Recent is kept in memory: after a restart, a mailbox's messages are recent for the first
  // session that selects it. A read-only session sees what no one has claimed, and claims none.
  uint32_t before = read_only ? recent_.mark(mailbox_id(), 0) : recent_.claim(mailbox_id(), highest, 0);
  if (!recent_ranges_.empty()) before = std::max(before, recent_ranges_.back().second);
  if (before < highest) recent_ranges_.emplace_back(before, highest);
}

std::optional<size_t> SelectedMailbox::index_of(uint32_t uid) const {
  if (auto i = base_->find(uid)) return i;
  auto it = std::lower_bound(extra_.begin(), extra_.end(), uid,
                             [](const std::pair<uint32_t, int64_t>& e, uint32_t u) { return e.first < u; });
  if (it == extra_.end() || it->first != uid) return std::nullopt;
  return base_->size() + static_cast<size_t>(it - extra_.begin());
}

std::vector<uint32_t> SelectedMailbox::known_uids() const {
  std::vector<uint32_t> out(base_->uids);
  for (const auto& [uid, modseq] : extra_) out.push_back(uid);
  return out;
}

std::vector<size_t> SelectedMailbox::indexes_of_uids(const SequenceSet& set) const {
  std::vector<size_t> out;
  if (extra_.empty()) {
    const auto& uids = base_->uids;
    for (uint32_t uid : set.intersect(uids)) out.push_back(*base_->find(uid));
    return out;
  }
  auto uids = known_uids();
  for (uint32_t uid : set.intersect(uids)) out.push_back(*index_of(uid));
  return out;
}

bool SelectedMailbox::is_recent(uint32_t uid) const {
  for (const auto& [low, high] : recent_ranges_)
    if (uid > low && uid <= high) return true;
  return false;
}

size_t SelectedMailbox::recent_count() const {
  if (recent_ranges_.empty()) return 0;
  size_t n = 0;
  // Recent messages are the newest: count from the end.
  for (size_t i = count(); i-- > 0;) {
    uint32_t uid = uid_at(i);
    if (uid <= recent_ranges_.front().first) break;
    if (is_recent(uid)) ++n;
  }
  return n;
}

std::shared_ptr<const MailboxVersion> SelectedMailbox::now() { return index_.current(*entry_); }

void SelectedMailbox::note_reported(uint32_t uid, int64_t modseq) { reported_[uid] = modseq; }

namespace {

void fetch_flags_line(std::string& out, size_t seq, uint32_t uid, const MailboxVersion& now, size_t at, bool recent,
                      bool condstore) {
  out += "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(uid) + " FLAGS ";
  append_flag_list(out, now.flags[at], now.keywords_of(at), recent);
  if (condstore) out += " MODSEQ (" + std::to_string(now.modseqs[at]) + ")";
  out += ")\r\n";
}

}  // namespace

void SelectedMailbox::sync(std::string& out, const SyncOptions& options) {
  bool was_changed = changed_->exchange(false);
  if (!was_changed && extra_.empty() && reported_.empty() && !expunges_waiting_) return;
  auto current = index_.current(*entry_);
  if (current == base_ && extra_.empty()) {
    reported_.clear();
    return;
  }
  const MailboxVersion& now = *current;
  size_t known = count();
  std::vector<size_t> gone;                           // indexes in the known sequence
  std::vector<std::pair<size_t, size_t>> flag_changes;  // (known index, index in now)
  size_t i = 0, j = 0;
  while (i < known) {
    uint32_t uid = uid_at(i);
    while (j < now.size() && now.uids[j] < uid) ++j;  // arrived and left unseen, or new below
    if (j < now.size() && now.uids[j] == uid) {
      int64_t told = i < base_->size() ? base_->modseqs[i] : extra_[i - base_->size()].second;
      if (auto r = reported_.find(uid); r != reported_.end()) told = r->second;
      if (now.modseqs[j] != told) flag_changes.emplace_back(i, j);
      ++j;
    } else {
      gone.push_back(i);
    }
    ++i;
  }
  // Messages above the highest known UID are new (lower ones cannot appear: UIDs only grow).
  uint32_t highest = highest_uid();
  size_t first_new = std::upper_bound(now.uids.begin(), now.uids.end(), highest) - now.uids.begin();
  size_t added = now.size() - first_new;

  bool expunge = options.allow_expunge && !gone.empty();
  if (expunge) {
    if (options.qresync) {
      std::vector<int64_t> uids;
      for (size_t g : gone) uids.push_back(uid_at(g));
      out += "* VANISHED " + format_number_set(uids) + "\r\n";
    } else {
      // Highest first: each EXPUNGE renumbers only the messages after it.
      for (size_t k = gone.size(); k-- > 0;) out += "* " + std::to_string(gone[k] + 1) + " EXPUNGE\r\n";
    }
  }
  size_t removed_before = 0, g = 0;
  for (const auto& [known_index, at] : flag_changes) {
    if (expunge)
      while (g < gone.size() && gone[g] < known_index) ++g, ++removed_before;
    uint32_t uid = now.uids[at];
    fetch_flags_line(out, known_index + 1 - removed_before, uid, now, at, is_recent(uid), options.condstore);
  }
  expunges_waiting_ = !expunge && !gone.empty();
  if (expunge || gone.empty()) {
    // The client now knows the mailbox exactly as it is.
    base_ = current;
    extra_.clear();
    reported_.clear();
  } else {
    // EXPUNGEs wait: keep the old sequence, remember what was told since.
    for (const auto& [known_index, at] : flag_changes) reported_[now.uids[at]] = now.modseqs[at];
    for (size_t k = first_new; k < now.size(); ++k) extra_.emplace_back(now.uids[k], now.modseqs[k]);
  }
  if (added) {
    claim_recent(now.uids.back());
    out += "* " + std::to_string(count()) + " EXISTS\r\n";
    out += "* " + std::to_string(recent_count()) + " RECENT\r\n";
  }
  // A CONDSTORE client learns the new HIGHESTMODSEQ (its own APPEND, or others' changes), but
  // only once nothing is held back: with EXPUNGEs waiting it would skip them at its next resync.
  if (options.condstore && (expunge || gone.empty()) && now.modseq > reported_modseq_)
    out += "* OK [HIGHESTMODSEQ " + std::to_string(now.modseq) + "] Highest\r\n";
  if (expunge || gone.empty()) reported_modseq_ = std::max(reported_modseq_, now.modseq);
}

}  // namespace ximssd::imap
