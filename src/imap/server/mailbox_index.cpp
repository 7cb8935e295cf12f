#include "imap/server/mailbox_index.hpp"

#include <algorithm>

namespace ximssd::imap {

std::optional<size_t> MailboxVersion::find(uint32_t uid) const {
  auto it = std::lower_bound(uids.begin(), uids.end(), uid);
  if (it == uids.end() || *it != uid) return std::nullopt;
  return static_cast<size_t>(it - uids.begin());
}

namespace {

uint32_t intern_keywords(MailboxVersion& v, const std::string& keywords) {
  if (keywords.empty()) return 0;
  for (size_t i = 1; i < v.keyword_sets.size(); ++i)
    if (v.keyword_sets[i] == keywords) return static_cast<uint32_t>(i);
  v.keyword_sets.push_back(keywords);
  return static_cast<uint32_t>(v.keyword_sets.size() - 1);
}

void push(MailboxVersion& v, const store::MessageRecord& m) {
  v.uids.push_back(static_cast<uint32_t>(m.uid));
  v.flags.push_back(m.flags);
  v.modseqs.push_back(m.modseq);
  v.keywords.push_back(intern_keywords(v, m.keywords));
}

void reserve(MailboxVersion& v, size_t n) {
  v.uids.reserve(n);
  v.flags.reserve(n);
  v.modseqs.reserve(n);
  v.keywords.reserve(n);
}

}  // namespace

std::shared_ptr<MailboxIndex::Entry> MailboxIndex::follow(int64_t mailbox_id) {
  std::lock_guard lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end();)  // forget entries nobody holds
    it = it->second.expired() ? entries_.erase(it) : std::next(it);
  if (auto existing = entries_[mailbox_id].lock()) return existing;
  auto entry = std::make_shared<Entry>();
  entry->mailbox_id_ = mailbox_id;
  std::weak_ptr<Entry> weak = entry;
  entry->subscription_ = hub_.subscribe(mailbox_id, [weak] {
    if (auto e = weak.lock()) e->stale_ = true;
  });
  entries_[mailbox_id] = entry;
  return entry;
}

std::shared_ptr<const MailboxVersion> MailboxIndex::current(Entry& entry) {
  std::lock_guard lock(entry.mutex_);
  // Cleared before reading, so that a change published while we read marks it stale again.
  if (!entry.current_) {
    entry.stale_ = false;
    entry.current_ = load(entry.mailbox_id_);
  } else if (entry.stale_.exchange(false)) {
    try {
      if (auto next = advance(*entry.current_)) entry.current_ = std::move(next);
    } catch (...) {
      entry.stale_ = true;  // not read (the database is away): the change is still to be seen
      throw;
    }
  }
  return entry.current_;
}

void MailboxIndex::fill_rows(Entry& entry, const MailboxVersion& now, const std::vector<uint32_t>& uids,
                             std::vector<store::MessageRecord>& rows) {
  auto& db = store_.reader();
  std::lock_guard lock(entry.texts_mutex_);
  if (!entry.texts_loaded_) {
    for (auto& m : db.list_message_summaries(entry.mailbox_id_)) entry.texts_.emplace(static_cast<uint32_t>(m.uid), std::move(m));
    entry.texts_loaded_ = true;
  } else if (entry.texts_.size() > now.size() + 4096) {
    // Erased messages pile up: keep what the mailbox still holds.
    for (auto it = entry.texts_.begin(); it != entry.texts_.end();)
      it = now.find(it->first) ? std::next(it) : entry.texts_.erase(it);
  }
  if (rows.size() < uids.size()) rows.resize(uids.size());
  for (size_t i = 0; i < uids.size(); ++i) {
    uint32_t uid = uids[i];
    auto& row = rows[i];
    auto at = now.find(uid);
    if (!at) {
      row = store::MessageRecord{};
      row.uid = uid;
      continue;
    }
    // UIDs are per mailbox: a row is the same message only with the same mailbox too.
    if (row.uid != uid || row.mailbox_id != entry.mailbox_id_ || row.blob_id.empty()) {
      auto it = entry.texts_.find(uid);
      if (it == entry.texts_.end()) {
        // Arrived since the cache was loaded: its texts never change, so read them once.
        auto found = db.find_message(entry.mailbox_id_, uid);
        if (!found) {
          row = store::MessageRecord{};
          row.uid = uid;
          continue;
        }
        found->header.imap_envelope.clear();  // not needed for searching: keep the cache small
        found->header.imap_body.clear();
        found->header.imap_bodystructure.clear();
        found->attributes.clear();
        it = entry.texts_.emplace(uid, std::move(*found)).first;
      }
      row = it->second;
    }
    row.flags = now.flags[*at];
    row.modseq = now.modseqs[*at];
    row.keywords = now.keywords_of(*at);
  }
}

std::shared_ptr<const MailboxVersion> MailboxIndex::load(int64_t mailbox_id) {
  auto& db = store_.reader();
  auto v = std::make_shared<MailboxVersion>();
  v->mailbox_id = mailbox_id;
  // The modseq first: a change committed while the rows are read is then read again later
  // (applying a row twice is harmless), never missed. A row read may be newer than that modseq;
  // modseqs are taken in commit order, so every change up to the newest row read is in the rows,
  // and that is the version's modseq (HIGHESTMODSEQ is never below a MODSEQ already sent).
  if (auto record = db.find_mailbox_by_id(mailbox_id)) v->modseq = record->highest_modseq;
  auto rows = db.list_message_keys(mailbox_id);
  reserve(*v, rows.size());
  for (const auto& m : rows) {
    push(*v, m);
    v->modseq = std::max(v->modseq, m.modseq);
  }
  return v;
}

std::shared_ptr<const MailboxVersion> MailboxIndex::advance(const MailboxVersion& from) {
  auto& db = store_.reader();
  int64_t modseq = from.modseq;
  if (auto record = db.find_mailbox_by_id(from.mailbox_id)) modseq = record->highest_modseq;
  else return load(from.mailbox_id);  // removed: an empty mailbox from now on
  if (modseq == from.modseq) return nullptr;  // nothing new
  auto changed = db.list_message_keys_since(from.mailbox_id, from.modseq);  // in UID order
  for (const auto& m : changed) modseq = std::max(modseq, m.modseq);  // as in load()
  auto gone = db.expunged_since(from.mailbox_id, from.modseq);
  std::vector<uint32_t> gone_uids;
  gone_uids.reserve(gone.size());
  for (const auto& g : gone) gone_uids.push_back(static_cast<uint32_t>(g.uid));
  std::sort(gone_uids.begin(), gone_uids.end());

  auto v = std::make_shared<MailboxVersion>();
  v->mailbox_id = from.mailbox_id;
  v->modseq = modseq;
  v->keyword_sets = from.keyword_sets;
  reserve(*v, from.size() + changed.size());
  // One merge of the old version with the changed rows, dropping the erased.
  size_t i = 0, j = 0, g = 0;
  auto erased = [&](uint32_t uid) {
    while (g < gone_uids.size() && gone_uids[g] < uid) ++g;
    return g < gone_uids.size() && gone_uids[g] == uid;
  };
  while (i < from.size() || j < changed.size()) {
    uint32_t old_uid = i < from.size() ? from.uids[i] : UINT32_MAX;
    uint32_t new_uid = j < changed.size() ? static_cast<uint32_t>(changed[j].uid) : UINT32_MAX;
    if (new_uid <= old_uid) {
      if (!erased(new_uid)) push(*v, changed[j]);
      ++j;
      if (new_uid == old_uid) ++i;
    } else {
      if (!erased(old_uid)) {
        v->uids.push_back(old_uid);
        v->flags.push_back(from.flags[i]);
        v->modseqs.push_back(from.modseqs[i]);
        v->keywords.push_back(from.keywords[i]);
      }
      ++i;
    }
  }
  return v;
}

}  // namespace ximssd::imap
