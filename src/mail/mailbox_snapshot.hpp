// One mailbox's messages as every view of it reads them: loaded once from the store and shared
// by all the sessions viewing the mailbox until the next change, with the sorted orders views
// asked for kept alongside. Loaded in two tiers: the numbers every view needs (UID, flags,
// modseq, dates, size) at once, from a covering index; the cached text fields (Subject, From,
// ...) only when a view sorts, filters or searches by them. Immutable once loaded, apart from
// those thread-safe lazy parts.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/records.hpp"

namespace ximssd::mail {

class MailboxSnapshot {
 public:
  using Loader = std::function<std::vector<store::MessageRecord>()>;
  // `keys`: the rows without their text fields (Repository::list_message_keys), in UID order;
  // `load_texts` reads the summaries with them (Repository::list_message_summaries).
  MailboxSnapshot(int64_t mailbox_id, std::vector<store::MessageRecord> keys, Loader load_texts);

  int64_t mailbox_id() const { return mailbox_id_; }
  // The rows, numbers only (their text fields are empty), in UID order.
  const std::vector<store::MessageRecord>& messages() const { return messages_; }
  // The same rows with their cached text fields, read the first time they are asked for. A
  // message erased since the numbers were read keeps empty texts.
  const std::vector<store::MessageRecord>& with_texts() const;
  // The row of `uid` (numbers only), or null.
  const store::MessageRecord* find(int64_t uid) const;
  // The row of `uid` with its texts when they are loaded already, else null.
  const store::MessageRecord* find_with_texts_if_loaded(int64_t uid) const;
  // The row of `uid` with its texts (loading them), or null.
  const store::MessageRecord* find_with_texts(int64_t uid) const;

  using Order = std::vector<uint32_t>;  // positions in messages() (and with_texts()), in view order
  // The order named `key` (a sort field and direction), computed by `compute` the first time.
  std::shared_ptr<const Order> order(const std::string& key, const std::function<Order()>& compute) const;

 private:
  int64_t mailbox_id_;
  std::vector<store::MessageRecord> messages_;
  std::unordered_map<int64_t, uint32_t> position_;
  Loader load_texts_;
  mutable std::once_flag texts_once_;
  mutable std::vector<store::MessageRecord> texts_;
  mutable std::atomic<bool> texts_loaded_{false};
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<const Order>> orders_;
};

}  // namespace ximssd::mail
