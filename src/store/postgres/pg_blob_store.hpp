// Message bodies in the PostgreSQL database (store.blob_storage = database): a `blobs` table
// (id, data bytea, created). A body is written by the very transaction that commits the messages
// referencing it, so it is exactly as durable as they are and nodes share nothing but the
// database. Reads use the calling thread's connection of the PgBackend, with binary results.
//
// Garbage collection is one statement: it removes bodies older than the grace period that no
// message references. A node storing a body again refreshes its `created` in its transaction
// (ON CONFLICT ... DO UPDATE), which holds the row's lock, so a collection on another node
// waits for that commit and then sees the body as young: it is never removed under a writer.
#pragma once

#include "store/blob_store.hpp"

namespace ximssd::store {

class PgBackend;
class PgRepository;

class PgBlobStore final : public BlobStore {
 public:
  // The backend whose connections it uses; set once, before any other call.
  void use(PgBackend* backend) { backend_ = backend; }

  StagedBlob stage(std::string_view bytes) override;
  void publish(const std::vector<StagedBlob>& blobs) override;  // nothing: stored with the commit
  void discard(const StagedBlob&) noexcept override {}
  void sync() override {}
  void link(const StagedBlob&) override {}
  bool stored_with_commit() const override { return true; }

  std::string read(std::string_view id) const override;
  std::string read_prefix(std::string_view id, size_t limit) const override;
  bool exists(std::string_view id) const override;

  std::vector<std::string> old_blobs(std::chrono::seconds) const override { return {}; }
  bool remove_if_old(std::string_view, std::chrono::seconds) override { return false; }
  size_t remove_old_temporaries(std::chrono::seconds) override { return 0; }
  std::optional<size_t> collect_unreferenced(std::chrono::seconds grace) override;

 private:
  PgBackend* backend_ = nullptr;
};

// Writes the bodies staged by a PgBlobStore (those carrying their bytes) in the current
// transaction; others (files, already published) are left alone.
void pg_store_bodies(PgRepository& repo, const std::vector<StagedBlob>& blobs);

}  // namespace ximssd::store
