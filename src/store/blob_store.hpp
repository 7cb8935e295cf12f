// Message bodies: immutable, addressed by the BLAKE2b-256 of their bytes (hex). Two
// implementations: FileBlobStore (files under a directory, the default; nodes may share one) and
// PgBlobStore (a table in the PostgreSQL database, written in the commit of the messages that
// use them).
//
// The contract both keep: a body that a committed message references is durable, whatever
// crashes; a crash leaves at most an unreferenced body, which garbage collection removes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::store {

// A written, not yet published body. Exactly one of publish() (or the commit that stores it)
// and discard() must receive it.
struct StagedBlob {
  std::string id;         // hex digest of the content
  int fd = -1;            // files: the unnamed (or temporary) file
  std::string temp_path;  // files: empty for an unnamed file
  int64_t size = 0;
  std::shared_ptr<const std::string> bytes;  // database: the body, stored with the commit
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  static std::string id_of(std::string_view bytes);
  static bool valid_id(std::string_view id);

  // Prepares `bytes` for publishing (files: writes an unnamed file, not yet synced). Blocking.
  virtual StagedBlob stage(std::string_view bytes) = 0;
  // Durably publishes the staged blobs before a transaction that references them, and releases
  // them, also when it fails: it then throws Failure(internal) and none may be referenced.
  virtual void publish(const std::vector<StagedBlob>& blobs) = 0;
  // Releases a staged blob that will not be published.
  virtual void discard(const StagedBlob& blob) noexcept = 0;
  // The two steps publish() is made of, for a writer that pipelines batches (see
  // store/group_commit_writer.hpp): sync() makes durable every body staged and every name linked
  // before it; link() publishes a staged body whose data a sync() has made durable, and
  // releases it (also when it throws).
  virtual void sync() = 0;
  virtual void link(const StagedBlob& blob) = 0;
  // True when bodies are stored by the commit itself (in the database): the writer then skips
  // publish/sync/link and the backend writes them in the batch's transaction.
  virtual bool stored_with_commit() const { return false; }

  virtual std::string read(std::string_view id) const = 0;  // throws Failure(notFound) when absent
  // The first `limit` bytes (all when shorter): a message's header without its body.
  virtual std::string read_prefix(std::string_view id, size_t limit) const = 0;
  virtual bool exists(std::string_view id) const = 0;

  // Garbage collection, in two steps so that the reference check can run where no publish can
  // interleave (the store's writer): candidates are blobs not touched for `grace`.
  virtual std::vector<std::string> old_blobs(std::chrono::seconds grace) const = 0;
  virtual bool remove_if_old(std::string_view id, std::chrono::seconds grace) = 0;
  // Leftovers of a crash older than `grace` (files: named temporaries).
  virtual size_t remove_old_temporaries(std::chrono::seconds grace) = 0;
  // A store that can remove every unreferenced body older than `grace` by itself, safely beside
  // writers on other nodes, does so and returns the count; the others return nothing and the
  // Store runs the two steps above.
  virtual std::optional<size_t> collect_unreferenced(std::chrono::seconds) { return std::nullopt; }
};

}  // namespace ximssd::store
