// Who is watching which mailbox. Every change to a mailbox's messages (appends, flag changes,
// removals), whatever session, binding or delivery made it, is published here once it is
// durable, and every subscriber of that mailbox is told: a Folder View then sends its
// asynchronous "notify" and computes what changed when its client synchronises.
// Thread-safe: changes are published from any network or worker thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace ximssd::mail {

class ChangeHub {
 public:
  using Listener = std::function<void()>;

  // Calls `listener` after each change to the mailbox, for as long as the returned handle
  // lives. Listeners run on the publishing thread and must not block.
  std::shared_ptr<void> subscribe(int64_t mailbox_id, Listener listener);
  void publish(int64_t mailbox_id);

  size_t subscribers(int64_t mailbox_id);

 private:
  struct Entry {
    Listener listener;
  };
  std::mutex mutex_;
  std::unordered_map<int64_t, std::vector<std::weak_ptr<Entry>>> by_mailbox_;
};

}  // namespace ximssd::mail
