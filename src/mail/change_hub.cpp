#include "mail/change_hub.hpp"

#include <algorithm>

namespace ximssd::mail {

std::shared_ptr<void> ChangeHub::subscribe(int64_t mailbox_id, Listener listener) {
  auto entry = std::make_shared<Entry>(Entry{std::move(listener)});
  std::lock_guard lock(mutex_);
  auto& list = by_mailbox_[mailbox_id];
  // Handles dropped since the last subscription are swept here, so the list stays small.
  std::erase_if(list, [](const std::weak_ptr<Entry>& e) { return e.expired(); });
  list.push_back(entry);
  return entry;
}

void ChangeHub::publish(int64_t mailbox_id) {
  std::vector<std::shared_ptr<Entry>> live;
  {
    std::lock_guard lock(mutex_);
    auto it = by_mailbox_.find(mailbox_id);
    if (it == by_mailbox_.end()) return;
    for (auto& weak : it->second)
      if (auto entry = weak.lock()) live.push_back(std::move(entry));
    if (live.empty()) by_mailbox_.erase(it);
  }
  // Outside the lock: a listener may subscribe or drop handles itself.
  for (auto& entry : live) entry->listener();
}

size_t ChangeHub::subscribers(int64_t mailbox_id) {
  std::lock_guard lock(mutex_);
  auto it = by_mailbox_.find(mailbox_id);
  if (it == by_mailbox_.end()) return 0;
  return static_cast<size_t>(std::count_if(it->second.begin(), it->second.end(),
                                           [](const std::weak_ptr<Entry>& e) { return !e.expired(); }));
}

}  // namespace ximssd::mail
