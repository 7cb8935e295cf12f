// What a storage backend provides to the Store: per-thread read views, a durable writer that
// groups concurrent writes into one commit, and blocking transactions for admin commands. The
// SQLite backend (store/sqlite/) is the embedded default; the PostgreSQL backend
// (store/postgres/) serves several nodes sharing one database.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <vector>

#include "store/blob_store.hpp"
#include "store/repository.hpp"

namespace ximssd::store {

class Backend {
 public:
  using Work = std::function<void(Repository&)>;
  using Done = std::function<void(std::exception_ptr)>;

  virtual ~Backend() = default;

  // The calling thread's read view (reads never block the writer).
  virtual Repository& reader() = 0;
  // Queues `work` for the writer. Before the commit that holds it, `blobs` are published; `done`
  // is called (on the writer's thread) once the commit is durable, with the work's exception or
  // the commit's.
  virtual void submit(Work work, Done done, std::vector<StagedBlob> blobs) = 0;
  // Publishes `blobs` and runs `work` in its own transaction on the calling thread.
  virtual void run_now(const Work& work, const std::vector<StagedBlob>& blobs) = 0;
  virtual bool has_writer() const = 0;
  // Finishes the queued writes and stops the writer.
  virtual void stop_writer() = 0;

  // Changes that other processes sharing the database (other nodes) committed: the mailboxes
  // whose messages changed, or `everything` when some may have been missed (the notification
  // channel was lost and is back), so that whatever is watched should be read again. Called on
  // a thread of the backend's own. The embedded backend has no other writers: it never calls.
  using RemoteChanges = std::function<void(const std::vector<int64_t>& mailbox_ids, bool everything)>;
  virtual void watch_remote_changes(RemoteChanges) {}

  // Counters for tests and benchmarks: commits and writes made by the writer.
  virtual uint64_t batches() const = 0;
  virtual uint64_t writes() const = 0;
};

}  // namespace ximssd::store
