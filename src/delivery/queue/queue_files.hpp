// The queue's files under DATA/queue: "<id>.eml" holds the message, "<id>.env" its entry. The
// entry file is written last and removed first, so it is the commit point: a message file
// without an entry is a submission that never completed (or a removal that did) and is dropped.
// Every write is a temporary file, fsynced, renamed into place, and the directory fsynced, so a
// crash at any point leaves either the old file or the new one. Blocking calls: run them on the
// blocking pool.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "delivery/queue/queue_entry.hpp"

namespace ximssd::delivery {

class QueueFiles {
 public:
  explicit QueueFiles(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }

  // Writes the message and then its entry; durable when it returns. Throws std::runtime_error.
  void create(const QueueEntry& entry, const std::string& message);
  // Replaces the entry file (after an attempt), durably.
  void update(const QueueEntry& entry);
  // Removes the entry file, then the message file.
  void remove(const std::string& id);
  std::string read_message(const std::string& id) const;

  // Every complete entry; leftovers of interrupted writes are removed, damaged entries are set
  // aside as "<id>.env.bad" (and logged) so that an operator can look at them.
  std::vector<QueueEntry> load_all();

 private:
  std::filesystem::path message_path(const std::string& id) const { return dir_ / (id + ".eml"); }
  std::filesystem::path entry_path(const std::string& id) const { return dir_ / (id + ".env"); }
  void write_durably(const std::filesystem::path& path, const std::string& data);
  void sync_dir();

  std::filesystem::path dir_;
};

}  // namespace ximssd::delivery
