// One mailbox's messages as every view of it reads them: loaded once from the store and shared
// by all the sessions viewing the mailbox until the next change, with the sorted orders views
// asked for kept alongside. Immutable once published, apart from that thread-safe order cache.
#pragma once

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
  MailboxSnapshot(int64_t mailbox_id, std::vector<store::MessageRecord> messages);

  int64_t mailbox_id() const { return mailbox_id_; }
  // Summaries (see Repository::list_message_summaries), in UID order.
  const std::vector<store::MessageRecord>& messages() const { return messages_; }
  // The summary of `uid`, or null.
  const store::MessageRecord* find(int64_t uid) const;

  using Order = std::vector<uint32_t>;  // positions in messages(), in view order
  // The order named `key` (a sort field and direction), computed by `compute` the first time.
  std::shared_ptr<const Order> order(const std::string& key, const std::function<Order()>& compute) const;

 private:
  int64_t mailbox_id_;
  std::vector<store::MessageRecord> messages_;
  std::unordered_map<int64_t, uint32_t> position_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<const Order>> orders_;
};

}  // namespace ximssd::mail
