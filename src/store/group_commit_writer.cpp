#include "store/group_commit_writer.hpp"

#include <spdlog/spdlog.h>

namespace ximssd::store {

GroupCommitWriter::GroupCommitWriter(std::unique_ptr<WriteConnection> connection, BlobStore* blobs, size_t max_batch)
    : connection_(std::move(connection)), blobs_(blobs), max_batch_(max_batch) {
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
  // Bodies stored by the commit itself need no publishing first.
  bool has_blobs = !blobs.empty() && !blobs_->stored_with_commit();
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

std::exception_ptr GroupCommitWriter::try_batch(std::deque<Job>& batch, std::vector<std::exception_ptr>& errors) {
  auto& db = *connection_;
  // A batch of one needs no savepoint: if its write fails, the transaction is rolled back.
  bool alone = batch.size() == 1;
  try {
    db.begin();
    bool any_ok = false;
    for (size_t i = 0; i < batch.size(); ++i) {
      errors[i] = batch[i].error;
      if (errors[i]) continue;
      if (!alone) db.savepoint();
      try {
        db.store_bodies(batch[i].blobs);
        batch[i].work(db.repository());
        if (!alone) db.release_savepoint();
        any_ok = true;
      } catch (...) {
        errors[i] = std::current_exception();
        if (db.is_conflict(errors[i])) throw;  // the whole transaction is lost
        if (!alone) {
          db.rollback_to_savepoint();
          db.release_savepoint();
        }
      }
    }
    if (any_ok) db.commit();
    else db.rollback();
    return nullptr;
  } catch (...) {
    db.rollback();
    return std::current_exception();
  }
}

void GroupCommitWriter::commit_batch(std::deque<Job>& batch) {
  std::vector<std::exception_ptr> errors(batch.size());
  std::exception_ptr commit_error;
  // A conflict with another node's transaction (a deadlock between two batches) rolled this
  // batch back whole; it runs again, and the other has finished by then.
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    commit_error = try_batch(batch, errors);
    if (!commit_error || !connection_->is_conflict(commit_error) || attempt == kAttempts) break;
    spdlog::info("store: a batch of {} writes conflicted with another writer; running it again", batch.size());
  }
  if (commit_error) spdlog::error("store: a batch of {} writes failed to commit", batch.size());
  {
    std::lock_guard lock(mutex_);
    ++batches_;
    writes_ += batch.size();
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(commit_error ? commit_error : errors[i]);
}

}  // namespace ximssd::store
