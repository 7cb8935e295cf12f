// The single writer of the metadata database. Concurrent writes are queued, run one after the
// other inside ONE transaction (each in its own savepoint, so one failing write does not undo
// the others) and made durable by ONE commit/fsync. Each waiting caller is resumed only after
// the commit that holds its write has returned: "done" always means durable.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/sqlite_db.hpp"

namespace ximssd::store {

class GroupCommitWriter {
 public:
  using Work = std::function<void(SqliteDb&)>;
  using Done = std::function<void(std::exception_ptr)>;

  explicit GroupCommitWriter(const std::string& path, size_t max_batch = 512);
  ~GroupCommitWriter();  // finishes the queued writes, then stops
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  // `work` runs on the writer thread; `done` is called there after the batch commits (with the
  // work's exception, if it threw, or the commit's).
  void submit(Work work, Done done);

  // Counters for tests and benchmarks.
  uint64_t batches() const;
  uint64_t writes() const;

 private:
  struct Job {
    Work work;
    Done done;
  };
  void run();
  void commit_batch(std::deque<Job>& batch);

  SqliteDb db_;
  size_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  uint64_t batches_ = 0, writes_ = 0;
  std::thread thread_;
};

}  // namespace ximssd::store
