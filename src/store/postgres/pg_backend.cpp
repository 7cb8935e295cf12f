#include "store/postgres/pg_backend.hpp"

#include <atomic>
#include <unordered_map>

#include "base/error.hpp"
#include "base/random.hpp"
#include "store/postgres/pg_blob_store.hpp"
#include "store/postgres/pg_change_listener.hpp"
#include "store/postgres/pg_schema.hpp"

namespace ximssd::store {

namespace {

std::atomic<uint64_t> next_instance{1};

// One connection per thread and backend; opened on first use.
std::unordered_map<uint64_t, std::unique_ptr<PgRepository>>& thread_connections() {
  thread_local std::unordered_map<uint64_t, std::unique_ptr<PgRepository>> connections;
  return connections;
}


bool is_conflict_error(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const PgConflict&) {
    return true;
  } catch (...) {
    return false;
  }
}

// The writer's connection. Before each batch it reconnects if the database was lost; a batch
// whose connection breaks fails as a whole (nothing of it was acknowledged).
class PgWriteConnection final : public WriteConnection {
 public:
  PgWriteConnection(const std::string& conninfo, std::string origin) : repo_(conninfo), origin_(std::move(origin)) {}
  Repository& repository() override { return repo_; }
  void begin() override {
    repo_.touched().clear();
    repo_.db().begin();
  }
  void savepoint() override { repo_.db().query("SAVEPOINT w"); }
  void release_savepoint() override { repo_.db().query("RELEASE SAVEPOINT w"); }
  void rollback_to_savepoint() override { repo_.db().query("ROLLBACK TO SAVEPOINT w"); }
  void store_bodies(const std::vector<StagedBlob>& blobs) override { pg_store_bodies(repo_, blobs); }
  void commit() override {
    pg_notify_touched(repo_, origin_);
    repo_.db().commit();
  }
  void rollback() noexcept override {
    repo_.touched().clear();
    repo_.db().rollback();
  }
  bool is_conflict(const std::exception_ptr& error) const override { return is_conflict_error(error); }

 private:
  PgRepository repo_;
  std::string origin_;
};

}  // namespace

void pg_notify_touched(PgRepository& repo, const std::string& origin) {
  auto& touched = repo.touched();
  // A payload is at most 8000 bytes: long lists go in several notifications.
  std::string payload;
  auto flush = [&] {
    if (payload.empty()) return;
    repo.db().query("SELECT pg_notify($1, $2)", PgParams().add(kChangeChannel).add(origin + " " + payload));
    payload.clear();
  };
  for (int64_t id : touched) {
    if (!payload.empty()) payload += ',';
    payload += std::to_string(id);
    if (payload.size() > 7000) flush();
  }
  flush();
  touched.clear();
}

PgBackend::PgBackend(std::string conninfo, BlobStore* blobs, bool with_writer)
    : conninfo_(std::move(conninfo)), blobs_(blobs), instance_(next_instance++), origin_(random_alnum(16)) {
  pg_migrate(thread_connection().db());
  if (with_writer)
    writer_ = std::make_unique<GroupCommitWriter>(std::make_unique<PgWriteConnection>(conninfo_, origin_), blobs_);
}

PgBackend::~PgBackend() {
  listener_.reset();
  writer_.reset();
  thread_connections().erase(instance_);
}

PgRepository& PgBackend::thread_connection() {
  auto& slot = thread_connections()[instance_];
  if (!slot) slot = std::make_unique<PgRepository>(conninfo_);
  return *slot;
}

Repository& PgBackend::reader() { return thread_connection(); }

void PgBackend::submit(Work work, Done done, std::vector<StagedBlob> blobs) {
  if (!writer_) throw Failure(ErrorCode::internal, "the store has no writer");
  writer_->submit(std::move(work), std::move(done), std::move(blobs));
}

void PgBackend::run_now(const Work& work, const std::vector<StagedBlob>& blobs) {
  blobs_->publish(blobs);  // releases them, also when it throws
  auto& repo = thread_connection();
  repo.touched().clear();
  repo.db().begin();
  try {
    pg_store_bodies(repo, blobs);
    work(repo);
    pg_notify_touched(repo, origin_);
    repo.db().commit();
  } catch (...) {
    repo.touched().clear();
    repo.db().rollback();
    throw;
  }
}

void PgBackend::stop_writer() {
  listener_.reset();
  writer_.reset();
}

void PgBackend::watch_remote_changes(RemoteChanges changes) {
  listener_ = std::make_unique<PgChangeListener>(conninfo_, origin_, std::move(changes));
}

}  // namespace ximssd::store
