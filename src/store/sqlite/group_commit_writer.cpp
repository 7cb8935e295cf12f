#include "store/sqlite/group_commit_writer.hpp"

#include <spdlog/spdlog.h>

namespace ximssd::store {

GroupCommitWriter::GroupCommitWriter(const std::string& path, BlobStore* blobs, size_t max_batch)
    : repo_(path), blobs_(blobs), max_batch_(max_batch) {
  publisher_ = std::thread([this] { run_publisher(); });
  committer_ = std::thread([this] { run_committer(); });
}

GroupCommitWriter::~GroupCommitWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  publish_wake_.notify_one();
  publisher_.join();  // drains the publishing queue into the commit queue
  {
    std::lock_guard lock(mutex_);
    publisher_done_ = true;
  }
  commit_wake_.notify_one();
  committer_.join();
}

void GroupCommitWriter::submit(Work work, Done done, std::vector<StagedBlob> blobs) {
  bool has_blobs = !blobs.empty();
  {
    std::lock_guard lock(mutex_);
    (has_blobs ? publish_queue_ : commit_queue_).push_back(Job{std::move(work), std::move(done), std::move(blobs), {}});
  }
  (has_blobs ? publish_wake_ : commit_wake_).notify_one();
}

uint64_t GroupCommitWriter::batches() const {
  std::lock_guard lock(mutex_);
  return batches_;
}

uint64_t GroupCommitWriter::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

void GroupCommitWriter::to_committer(std::deque<Job>& jobs) {
  if (jobs.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (auto& job : jobs) commit_queue_.push_back(std::move(job));
  }
  jobs.clear();
  commit_wake_.notify_one();
}

void GroupCommitWriter::run_publisher() {
  std::deque<Job> fresh;     // bodies written, not yet synced
  std::deque<Job> to_link;   // bodies whose data the last sync made durable
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      publish_wake_.wait(lock, [&] { return stopping_ || !publish_queue_.empty() || !to_link.empty(); });
      if (stopping_ && publish_queue_.empty() && to_link.empty()) return;
      while (!publish_queue_.empty() && fresh.size() < max_batch_) {
        fresh.push_back(std::move(publish_queue_.front()));
        publish_queue_.pop_front();
      }
    }
    for (auto& job : to_link) {
      for (size_t i = 0; i < job.blobs.size(); ++i) {
        if (job.error) {
          blobs_->discard(job.blobs[i]);
          continue;
        }
        try {
          blobs_->link(job.blobs[i]);
        } catch (...) {
          job.error = std::current_exception();
        }
      }
    }
    try {
      // Durable: the names just linked, and the data of everything staged so far.
      blobs_->sync();
    } catch (...) {
      spdlog::error("store: cannot sync message bodies");
      for (auto* group : {&to_link, &fresh})
        for (auto& job : *group) {
          if (!job.error) job.error = std::current_exception();
          if (group == &fresh)
            for (auto& blob : job.blobs) blobs_->discard(blob);
        }
      to_committer(to_link);
      to_committer(fresh);  // they fail there, in order
      continue;
    }
    to_committer(to_link);
    std::swap(to_link, fresh);
  }
}

void GroupCommitWriter::run_committer() {
  std::deque<Job> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      commit_wake_.wait(lock, [&] { return publisher_done_ || !commit_queue_.empty(); });
      if (commit_queue_.empty() && publisher_done_) return;
      while (!commit_queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(commit_queue_.front()));
        commit_queue_.pop_front();
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
  try {
    db.exec("BEGIN IMMEDIATE");
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].error) {
        errors[i] = batch[i].error;
        continue;
      }
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
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(commit_error ? commit_error : errors[i]);
}

}  // namespace ximssd::store
