#include "store/sqlite/sqlite_backend.hpp"

#include <atomic>
#include <unordered_map>

#include "base/error.hpp"
#include "store/sqlite/schema.hpp"

namespace ximssd::store {

namespace {
std::atomic<uint64_t> next_instance{1};

// One connection per thread and database; opened on first use.
std::unordered_map<uint64_t, std::unique_ptr<SqliteRepository>>& thread_connections() {
  thread_local std::unordered_map<uint64_t, std::unique_ptr<SqliteRepository>> connections;
  return connections;
}
}  // namespace

SqliteBackend::SqliteBackend(std::string path, BlobStore* blobs, bool with_writer)
    : path_(std::move(path)), blobs_(blobs), instance_(next_instance++) {
  migrate(connection().db());
  if (with_writer) writer_ = std::make_unique<GroupCommitWriter>(path_, blobs_);
}

SqliteBackend::~SqliteBackend() {
  writer_.reset();
  thread_connections().erase(instance_);
}

SqliteRepository& SqliteBackend::connection() {
  auto& slot = thread_connections()[instance_];
  if (!slot) slot = std::make_unique<SqliteRepository>(path_);
  return *slot;
}

Repository& SqliteBackend::reader() { return connection(); }

void SqliteBackend::submit(Work work, Done done, std::vector<StagedBlob> blobs) {
  if (!writer_) throw Failure(ErrorCode::internal, "the store has no writer");
  writer_->submit(std::move(work), std::move(done), std::move(blobs));
}

void SqliteBackend::run_now(const Work& work, const std::vector<StagedBlob>& blobs) {
  blobs_->publish(blobs);  // releases them, also when it throws
  auto& repo = connection();
  in_transaction(repo.db(), [&] { work(repo); });
}

}  // namespace ximssd::store
