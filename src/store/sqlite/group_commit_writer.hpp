// The single writer of the SQLite database. Concurrent writes are queued, run one after the
// other inside ONE transaction (each in its own savepoint, so one failing write does not undo
// the others) and made durable by ONE commit/fsync. The message bodies the batch references are
// published first, together (see BlobStore::publish). Each waiting caller is resumed only after
// the commit that holds its write has returned: "done" always means durable.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/backend.hpp"
#include "store/blob_store.hpp"
#include "store/sqlite/sqlite_repository.hpp"

namespace ximssd::store {

class GroupCommitWriter {
 public:
  using Work = Backend::Work;
  using Done = Backend::Done;

  GroupCommitWriter(const std::string& path, BlobStore* blobs, size_t max_batch = 512);
  ~GroupCommitWriter();  // finishes the queued writes, then stops
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  // `work` runs on the writer thread; `done` is called there after the batch commits (with the
  // work's exception, if it threw, or the commit's).
  void submit(Work work, Done done, std::vector<StagedBlob> blobs = {});

  uint64_t batches() const;
  uint64_t writes() const;

 private:
  struct Job {
    Work work;
    Done done;
    std::vector<StagedBlob> blobs;
  };
  void run();
  void commit_batch(std::deque<Job>& batch);

  SqliteRepository repo_;
  BlobStore* blobs_;
  size_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  uint64_t batches_ = 0, writes_ = 0;
  std::thread thread_;
};

}  // namespace ximssd::store
