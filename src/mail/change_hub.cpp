#include "mail/change_hub.hpp"

#include <algorithm>

namespace ximssd::mail {

std::shared_ptr<void> ChangeHub::subscribe(int64_t mailbox_id, Listener listener) {
  auto entry = std::make_shared<Entry>();
  entry->listener = std::move(listener);
  entry->hub = this;
  entry->mailbox_id = mailbox_id;
  std::lock_guard lock(mutex_);
  auto& list = by_mailbox_[mailbox_id];
  // Handles dropped since the last subscription are swept here, so the list stays small.
  std::erase_if(list, [](const std::weak_ptr<Entry>& e) { return e.expired(); });
  list.push_back(entry);
  return entry;
}

std::shared_ptr<void> ChangeHub::subscribe_account(int64_t account_id, AccountListener listener) {
  auto entry = std::make_shared<AccountListener>(std::move(listener));
  std::lock_guard lock(mutex_);
  auto& list = by_account_[account_id];
  std::erase_if(list, [](const std::weak_ptr<AccountListener>& e) { return e.expired(); });
  list.push_back(entry);
  return entry;
}

void ChangeHub::publish(int64_t mailbox_id, int64_t account_id, const std::string& name) {
  std::vector<std::shared_ptr<Entry>> live;
  std::vector<std::shared_ptr<AccountListener>> account_live;
  {
    std::lock_guard lock(mutex_);
    if (auto it = by_account_.find(account_id); it != by_account_.end()) {
      for (auto& weak : it->second)
        if (auto entry = weak.lock()) account_live.push_back(std::move(entry));
      if (account_live.empty()) by_account_.erase(it);
    }
    if (auto shared = shared_.find(mailbox_id); shared != shared_.end()) {
      ++shared->second.version;
      shared->second.snapshot.reset();
    }
    if (auto it = by_mailbox_.find(mailbox_id); it != by_mailbox_.end()) {
      for (auto& weak : it->second)
        if (auto entry = weak.lock()) live.push_back(std::move(entry));
      if (live.empty()) by_mailbox_.erase(it);
    }
  }
  // Outside the lock: a listener may subscribe or drop handles itself.
  for (auto& entry : live) entry->listener();
  for (auto& listener : account_live) (*listener)(name);
}

std::vector<int64_t> ChangeHub::known_mailboxes() {
  std::lock_guard lock(mutex_);
  std::vector<int64_t> out;
  for (const auto& [id, list] : by_mailbox_) out.push_back(id);
  for (const auto& [id, shared] : shared_)
    if (!by_mailbox_.contains(id)) out.push_back(id);
  return out;
}

std::shared_ptr<const MailboxSnapshot> ChangeHub::snapshot(int64_t mailbox_id,
                                                           const MailboxSnapshot::Loader& load_keys,
                                                           MailboxSnapshot::Loader load_texts) {
  std::shared_ptr<std::mutex> loading;
  {
    std::lock_guard lock(mutex_);
    Shared& shared = shared_[mailbox_id];
    shared.unwatched_since.reset();
    if (shared.snapshot && shared.snapshot_version == shared.version) return shared.snapshot;
    loading = shared.loading;
  }
  // One session loads while the others viewing the mailbox wait for its result.
  std::lock_guard load_lock(*loading);
  uint64_t version;
  {
    std::lock_guard lock(mutex_);
    Shared& shared = shared_[mailbox_id];
    if (shared.snapshot && shared.snapshot_version == shared.version) return shared.snapshot;
    version = shared.version;
  }
  auto fresh = std::make_shared<const MailboxSnapshot>(mailbox_id, load_keys(), std::move(load_texts));
  std::lock_guard lock(mutex_);
  Shared& shared = shared_[mailbox_id];
  // A change published while loading makes this snapshot stale: it serves this caller only.
  if (shared.version == version) {
    shared.snapshot = fresh;
    shared.snapshot_version = version;
  }
  return fresh;
}

void ChangeHub::forget_if_unwatched(int64_t mailbox_id) {
  std::lock_guard lock(mutex_);
  auto it = by_mailbox_.find(mailbox_id);
  if (it != by_mailbox_.end() &&
      std::any_of(it->second.begin(), it->second.end(), [](const std::weak_ptr<Entry>& e) { return !e.expired(); }))
    return;
  if (it != by_mailbox_.end()) by_mailbox_.erase(it);
  // The snapshot stays a while: a client that closes a view and opens it again (or opens the
  // next mailbox and comes back) finds it loaded. Snapshots unwatched for longer are dropped.
  auto now = std::chrono::steady_clock::now();
  if (auto shared = shared_.find(mailbox_id); shared != shared_.end()) shared->second.unwatched_since = now;
  std::erase_if(shared_, [&](const auto& entry) {
    return entry.second.unwatched_since && now - *entry.second.unwatched_since > kKeepUnwatched;
  });
}

size_t ChangeHub::subscribers(int64_t mailbox_id) {
  std::lock_guard lock(mutex_);
  auto it = by_mailbox_.find(mailbox_id);
  if (it == by_mailbox_.end()) return 0;
  return static_cast<size_t>(std::count_if(it->second.begin(), it->second.end(),
                                           [](const std::weak_ptr<Entry>& e) { return !e.expired(); }));
}

}  // namespace ximssd::mail
