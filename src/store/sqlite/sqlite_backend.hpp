// The embedded backend: SQLite in WAL mode. Reads use one connection per thread (WAL lets them
// run beside the writer); writes go to the GroupCommitWriter, or run on the calling thread when
// there is no writer (admin commands, which may run beside a live server).
#pragma once

#include <memory>
#include <string>

#include "store/backend.hpp"
#include "store/group_commit_writer.hpp"
#include "store/sqlite/sqlite_repository.hpp"

namespace ximssd::store {

class SqliteBackend final : public Backend {
 public:
  // Opens (creating and migrating) the database at `path`.
  SqliteBackend(std::string path, BlobStore* blobs, bool with_writer);
  ~SqliteBackend() override;

  Repository& reader() override;
  void submit(Work work, Done done, std::vector<StagedBlob> blobs) override;
  void run_now(const Work& work, const std::vector<StagedBlob>& blobs) override;
  bool has_writer() const override { return writer_ != nullptr; }
  void stop_writer() override { writer_.reset(); }
  uint64_t batches() const override { return writer_ ? writer_->batches() : 0; }
  uint64_t writes() const override { return writer_ ? writer_->writes() : 0; }

 private:
  SqliteRepository& connection();

  std::string path_;
  BlobStore* blobs_;
  uint64_t instance_;  // distinguishes databases in the per-thread connection cache
  std::unique_ptr<GroupCommitWriter> writer_;
};

}  // namespace ximssd::store
