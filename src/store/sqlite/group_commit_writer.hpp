// The single writer of the SQLite database, in two pipelined stages.
//
// The committer thread takes every queued write, runs them one after the other inside ONE
// transaction (each in its own savepoint, so one failing write does not undo the others) and
// makes them durable with ONE commit. Each waiting caller is resumed only after the commit that
// holds its write has returned: "done" always means durable.
//
// Writes that reference new message bodies first pass the publisher thread, which makes the
// bodies durable and named before the commit: each of its rounds links the bodies whose data
// the previous round's sync made durable, then runs one filesystem sync that makes those names
// durable *and* the data of the bodies staged since. Under load that is one sync per batch, and
// it overlaps with the committer's commit of the batch before.
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

  // `work` runs on the committer thread; `done` is called there after the batch commits (with
  // the work's exception, if it threw, or the publishing's or the commit's).
  void submit(Work work, Done done, std::vector<StagedBlob> blobs = {});

  uint64_t batches() const;  // commits
  uint64_t writes() const;

 private:
  struct Job {
    Work work;
    Done done;
    std::vector<StagedBlob> blobs;
    std::exception_ptr error;  // set when its bodies could not be published
  };
  void run_publisher();
  void run_committer();
  void commit_batch(std::deque<Job>& batch);
  void to_committer(std::deque<Job>& jobs);

  SqliteRepository repo_;
  BlobStore* blobs_;
  size_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable publish_wake_, commit_wake_;
  std::deque<Job> publish_queue_, commit_queue_;
  bool stopping_ = false;
  bool publisher_done_ = false;
  uint64_t batches_ = 0, writes_ = 0;
  std::thread publisher_, committer_;
};

}  // namespace ximssd::store
