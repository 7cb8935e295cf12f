// RFC 3501 \Recent: a message is recent in exactly one session, the first to see the mailbox
// after the message arrived. Kept in memory per mailbox as the highest UID some session has
// claimed; a restart forgets it, and a mailbox first seen after the restart starts with nothing
// recent (messages that arrive from then on are). Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace ximssd::imap {

class RecentTracker {
 public:
  // Claims every UID up to `highest` for the caller, and returns the highest UID claimed
  // before: the caller's recent messages are those above it (none when it returns `highest`).
  // A mailbox not seen before starts at `first_seen_mark`.
  uint32_t claim(int64_t mailbox_id, uint32_t highest, uint32_t first_seen_mark);
  // The highest UID claimed so far (STATUS RECENT counts the messages above it), or
  // `first_seen_mark` for a mailbox not seen before.
  uint32_t mark(int64_t mailbox_id, uint32_t first_seen_mark);

 private:
  std::mutex mutex_;
  std::unordered_map<int64_t, uint32_t> claimed_;
};

}  // namespace ximssd::imap
