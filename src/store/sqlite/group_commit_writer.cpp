#include "store/sqlite/group_commit_writer.hpp"

#include <spdlog/spdlog.h>

namespace ximssd::store {

GroupCommitWriter::GroupCommitWriter(const std::string& path, BlobStore* blobs, size_t max_batch)
    : repo_(path), blobs_(blobs), max_batch_(max_batch), thread_([this] { run(); }) {}

GroupCommitWriter::~GroupCommitWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void GroupCommitWriter::submit(Work work, Done done, std::vector<StagedBlob> blobs) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Job{std::move(work), std::move(done), std::move(blobs)});
  }
  wake_.notify_one();
}

uint64_t GroupCommitWriter::batches() const {
  std::lock_guard lock(mutex_);
  return batches_;
}

uint64_t GroupCommitWriter::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

void GroupCommitWriter::run() {
  std::deque<Job> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_batch(batch);
    batch.clear();
  }
}

void GroupCommitWriter::commit_batch(std::deque<Job>& batch) {
  std::vector<std::exception_ptr> errors(batch.size());
  std::exception_ptr commit_error;
  auto& db = repo_.db();
  // Bodies first: a commit may only reference blobs that are already durable.
  std::vector<StagedBlob> blobs;
  for (auto& job : batch)
    for (auto& blob : job.blobs) blobs.push_back(blob);
  if (!blobs.empty()) {
    try {
      blobs_->publish(blobs);
    } catch (...) {  // publish() has released every blob
      for (size_t i = 0; i < batch.size(); ++i)
        if (!batch[i].blobs.empty()) errors[i] = std::current_exception();
    }
  }
  try {
    db.exec("BEGIN IMMEDIATE");
    for (size_t i = 0; i < batch.size(); ++i) {
      if (errors[i]) continue;
      db.exec("SAVEPOINT w");
      try {
        batch[i].work(repo_);
        db.exec("RELEASE w");
      } catch (...) {
        errors[i] = std::current_exception();
        db.exec("ROLLBACK TO w");
        db.exec("RELEASE w");
      }
    }
    db.exec("COMMIT");
  } catch (...) {
    commit_error = std::current_exception();
    try {
      db.exec("ROLLBACK");
    } catch (...) {
    }
    spdlog::error("store: a batch of {} writes failed to commit", batch.size());
  }
  {
    std::lock_guard lock(mutex_);
    ++batches_;
    writes_ += batch.size();
  }
  for (size_t i = 0; i < batch.size(); ++i)
    batch[i].done(commit_error ? commit_error : errors[i]);
}

}  // namespace ximssd::store
