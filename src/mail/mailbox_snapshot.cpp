#include "mail/mailbox_snapshot.hpp"

namespace ximssd::mail {

MailboxSnapshot::MailboxSnapshot(int64_t mailbox_id, std::vector<store::MessageRecord> keys, Loader load_texts)
    : mailbox_id_(mailbox_id), messages_(std::move(keys)), load_texts_(std::move(load_texts)) {
  position_.reserve(messages_.size());
  for (uint32_t i = 0; i < messages_.size(); ++i) position_.emplace(messages_[i].uid, i);
}

const std::vector<store::MessageRecord>& MailboxSnapshot::with_texts() const {
  std::call_once(texts_once_, [this] {
    // Aligned with messages(): positions and orders computed on either mean the same rows.
    std::vector<store::MessageRecord> loaded = load_texts_ ? load_texts_() : std::vector<store::MessageRecord>{};
    std::unordered_map<int64_t, size_t> by_uid;
    by_uid.reserve(loaded.size());
    for (size_t i = 0; i < loaded.size(); ++i) by_uid.emplace(loaded[i].uid, i);
    texts_.reserve(messages_.size());
    for (const auto& row : messages_) {
      auto it = by_uid.find(row.uid);
      if (it == by_uid.end()) {
        texts_.push_back(row);
        continue;
      }
      store::MessageRecord full = std::move(loaded[it->second]);
      // The numbers stay those of this snapshot (a later change has a snapshot of its own).
      full.flags = row.flags;
      full.modseq = row.modseq;
      texts_.push_back(std::move(full));
    }
    texts_loaded_.store(true, std::memory_order_release);
  });
  return texts_;
}

const store::MessageRecord* MailboxSnapshot::find(int64_t uid) const {
  auto it = position_.find(uid);
  return it == position_.end() ? nullptr : &messages_[it->second];
}

const store::MessageRecord* MailboxSnapshot::find_with_texts_if_loaded(int64_t uid) const {
  if (!texts_loaded_.load(std::memory_order_acquire)) return nullptr;
  auto it = position_.find(uid);
  return it == position_.end() ? nullptr : &texts_[it->second];
}

const store::MessageRecord* MailboxSnapshot::find_with_texts(int64_t uid) const {
  const auto& rows = with_texts();
  auto it = position_.find(uid);
  return it == position_.end() ? nullptr : &rows[it->second];
}

std::shared_ptr<const MailboxSnapshot::Order> MailboxSnapshot::order(const std::string& key,
                                                                     const std::function<Order()>& compute) const {
  {
    std::lock_guard lock(mutex_);
    if (auto it = orders_.find(key); it != orders_.end()) return it->second;
  }
  // Computed outside the lock: two sessions may both compute the same order once; both results
  // are equal, and the first stored wins.
  auto computed = std::make_shared<const Order>(compute());
  std::lock_guard lock(mutex_);
  return orders_.emplace(key, std::move(computed)).first->second;
}

}  // namespace ximssd::mail
