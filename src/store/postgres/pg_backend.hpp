// The PostgreSQL backend: several ximssd nodes on one database.
//
// Connections: each thread that reads gets its own connection on first use (network threads,
// the blocking pool), kept for the process's life and reopened after the database comes back;
// the writer has one, and the change listener one. So a node holds a fixed, small number of
// connections (threads + 2) and never waits for a free one. Statements are prepared once per
// connection.
//
// Writes go to the same GroupCommitWriter as SQLite's: one transaction per batch, each write in
// its own savepoint, one commit (one WAL flush). The commit carries a NOTIFY naming the
// mailboxes the batch changed, which the other nodes' listeners receive (PgChangeListener).
#pragma once

#include <memory>
#include <string>

#include "store/backend.hpp"
#include "store/group_commit_writer.hpp"
#include "store/postgres/pg_repository.hpp"

namespace ximssd::store {

class PgChangeListener;

class PgBackend final : public Backend {
 public:
  // Connects and migrates the schema; throws Failure(unavailable) when the database cannot be
  // reached.
  PgBackend(std::string conninfo, BlobStore* blobs, bool with_writer);
  ~PgBackend() override;

  Repository& reader() override;
  void submit(Work work, Done done, std::vector<StagedBlob> blobs) override;
  void run_now(const Work& work, const std::vector<StagedBlob>& blobs) override;
  bool has_writer() const override { return writer_ != nullptr; }
  void stop_writer() override;
  void watch_remote_changes(RemoteChanges changes) override;
  uint64_t batches() const override { return writer_ ? writer_->batches() : 0; }
  uint64_t writes() const override { return writer_ ? writer_->writes() : 0; }

  // This process's mark on its notifications (it ignores its own).
  const std::string& origin() const { return origin_; }
  // The calling thread's connection (reads, and the bodies of a PgBlobStore).
  PgRepository& thread_connection();

 private:
  std::string conninfo_;
  BlobStore* blobs_;
  uint64_t instance_;
  std::string origin_;
  std::unique_ptr<GroupCommitWriter> writer_;
  std::unique_ptr<PgChangeListener> listener_;
};

// The channel and the payload of change notifications: "<origin> <mailbox id>,<mailbox id>...".
inline constexpr const char* kChangeChannel = "ximssd_changes";
// Sends the notifications for the mailboxes the transaction touched (clears them), so that
// they are delivered when, and only if, it commits.
void pg_notify_touched(PgRepository& repo, const std::string& origin);

}  // namespace ximssd::store
