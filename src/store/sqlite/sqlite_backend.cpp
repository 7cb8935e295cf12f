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

// The writer's connection: SQLite's transactions, BEGIN IMMEDIATE so the write lock is taken at once.
class SqliteWriteConnection final : public WriteConnection {
 public:
  explicit SqliteWriteConnection(const std::string& path) : repo_(path) {}
  Repository& repository() override { return repo_; }
  void begin() override { repo_.db().exec("BEGIN IMMEDIATE"); }
  void savepoint() override { repo_.db().exec("SAVEPOINT w"); }
  void release_savepoint() override { repo_.db().exec("RELEASE w"); }
  void rollback_to_savepoint() override { repo_.db().exec("ROLLBACK TO w"); }
  void commit() override { repo_.db().exec("COMMIT"); }
  void rollback() noexcept override {
    try {
      repo_.db().exec("ROLLBACK");
    } catch (...) {
    }
  }
  bool is_conflict(const std::exception_ptr&) const override { return false; }  // one writer: none

 private:
  SqliteRepository repo_;
};
}  // namespace

SqliteBackend::SqliteBackend(std::string path, BlobStore* blobs, bool with_writer)
    : path_(std::move(path)), blobs_(blobs), instance_(next_instance++) {
  migrate(connection().db());
  if (with_writer) writer_ = std::make_unique<GroupCommitWriter>(std::make_unique<SqliteWriteConnection>(path_), blobs_);
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
