// Who is watching which mailbox. Every change to a mailbox's messages (appends, flag changes,
// removals), whatever session, binding or delivery made it, is published here once it is
// durable, and every subscriber of that mailbox is told: a Folder View then sends its
// asynchronous "notify" and computes what changed when its client synchronises.
// The hub also keeps, per mailbox, the snapshot of its messages that all its views share.
// Thread-safe: changes are published from any network or worker thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "mail/mailbox_snapshot.hpp"

namespace ximssd::mail {

class ChangeHub {
 public:
  using Listener = std::function<void()>;

  // Calls `listener` after each change to the mailbox, for as long as the returned handle
  // lives. Listeners run on the publishing thread and must not block.
  std::shared_ptr<void> subscribe(int64_t mailbox_id, Listener listener);
  // Calls `listener` with the mailbox's name after each change to any mailbox of the account.
  using AccountListener = std::function<void(const std::string& mailbox)>;
  std::shared_ptr<void> subscribe_account(int64_t account_id, AccountListener listener);
  // A change to the messages of mailbox `mailbox_id`, named `name` in account `account_id`.
  void publish(int64_t mailbox_id, int64_t account_id, const std::string& name);

  size_t subscribers(int64_t mailbox_id);
  // Every mailbox someone watches or whose snapshot is kept: what to read again when changes
  // may have been missed (another node's notifications were lost).
  std::vector<int64_t> known_mailboxes();

  // The mailbox's messages as of its last change, shared by every session that asks until the
  // next change; read from the store when there is no current snapshot.
  // `load_keys` and `load_texts` are MailboxSnapshot's two tiers.
  std::shared_ptr<const MailboxSnapshot> snapshot(int64_t mailbox_id, const MailboxSnapshot::Loader& load_keys,
                                                  MailboxSnapshot::Loader load_texts);

 private:
  struct Entry {
    Listener listener;
    ChangeHub* hub = nullptr;
    int64_t mailbox_id = 0;
    ~Entry() { hub->forget_if_unwatched(mailbox_id); }
  };
  // Drops the mailbox's snapshot once no view watches it.
  void forget_if_unwatched(int64_t mailbox_id);
  struct Shared {
    uint64_t version = 0;  // moves on with each change
    std::shared_ptr<const MailboxSnapshot> snapshot;
    uint64_t snapshot_version = 0;
    std::shared_ptr<std::mutex> loading = std::make_shared<std::mutex>();
    // Since when no view watches the mailbox (none while one does).
    std::optional<std::chrono::steady_clock::time_point> unwatched_since;
  };
  static constexpr std::chrono::seconds kKeepUnwatched{120};
  std::mutex mutex_;
  std::unordered_map<int64_t, std::vector<std::weak_ptr<Entry>>> by_mailbox_;
  std::unordered_map<int64_t, Shared> shared_;
  std::unordered_map<int64_t, std::vector<std::weak_ptr<AccountListener>>> by_account_;
};

}  // namespace ximssd::mail
