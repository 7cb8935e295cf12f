// The single writer of a store's database (each backend gives it one WriteConnection), in two
// pipelined stages.
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

namespace ximssd::store {

// What the writer needs from a backend: one connection's Repository and its transactions.
class WriteConnection {
 public:
  virtual ~WriteConnection() = default;
  virtual Repository& repository() = 0;
  virtual void begin() = 0;
  virtual void savepoint() = 0;  // one level deep: each write of a batch in its own
  virtual void release_savepoint() = 0;
  virtual void rollback_to_savepoint() = 0;
  // Bodies the BlobStore stores with the commit (stored_with_commit), in the current transaction.
  virtual void store_bodies(const std::vector<StagedBlob>&) {}
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  // True when `error` means the transaction lost a conflict with another writer (another
  // node): it was rolled back whole and the batch may simply run again.
  virtual bool is_conflict(const std::exception_ptr& error) const = 0;
};

class GroupCommitWriter {
 public:
  using Work = Backend::Work;
  using Done = Backend::Done;

  GroupCommitWriter(std::unique_ptr<WriteConnection> connection, BlobStore* blobs, size_t max_batch = 512);
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
  // One attempt at the batch: fills `errors`; returns the commit's error, if any.
  std::exception_ptr try_batch(std::deque<Job>& batch, std::vector<std::exception_ptr>& errors);
  void to_committer(std::deque<Job>& jobs);

  std::unique_ptr<WriteConnection> connection_;
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
