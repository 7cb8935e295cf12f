#include "mail/mailbox_snapshot.hpp"

namespace ximssd::mail {

MailboxSnapshot::MailboxSnapshot(int64_t mailbox_id, std::vector<store::MessageRecord> messages)
    : mailbox_id_(mailbox_id), messages_(std::move(messages)) {
  position_.reserve(messages_.size());
  for (uint32_t i = 0; i < messages_.size(); ++i) position_.emplace(messages_[i].uid, i);
}

const store::MessageRecord* MailboxSnapshot::find(int64_t uid) const {
  auto it = position_.find(uid);
  return it == position_.end() ? nullptr : &messages_[it->second];
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
