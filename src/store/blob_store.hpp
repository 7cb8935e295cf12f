// Message bodies as immutable, content-addressed files under DATA/blobs/ (BLAKE2b-256, hex,
// fanned out as ab/cd/abcd...). A body is first written to a temporary file (stage); publish()
// makes a batch of them durable and visible: sync the file data, rename each into place (or drop
// it when that content is already stored), sync the renames. Only then may the metadata that
// references them commit. A crash leaves at most an unreferenced file, which collect() removes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::store {

struct StagedBlob {
  std::string id;         // hex digest of the content
  std::string temp_path;  // under blobs/tmp/, removed by publish() or discard()
  int64_t size = 0;
};

class BlobStore {
 public:
  explicit BlobStore(std::string root);
  ~BlobStore();
  BlobStore(const BlobStore&) = delete;
  BlobStore& operator=(const BlobStore&) = delete;

  static std::string id_of(std::string_view bytes);
  static bool valid_id(std::string_view id);

  // Writes `bytes` to a temporary file (not yet synced). Blocking file I/O.
  StagedBlob stage(std::string_view bytes);
  // Durably publishes the staged blobs (two filesystem syncs for the whole batch). Throws
  // Failure(internal) on an I/O error; then none of them may be referenced.
  void publish(const std::vector<StagedBlob>& blobs);
  void discard(const StagedBlob& blob) noexcept;

  std::string read(std::string_view id) const;  // throws Failure(notFound) when absent
  std::string path(std::string_view id) const;
  bool exists(std::string_view id) const;

  // Garbage collection, in two steps so that the reference check can run where no publish can
  // interleave (the store's writer): candidates are blobs not touched for `grace`.
  std::vector<std::string> old_blobs(std::chrono::seconds grace) const;
  bool remove_if_old(std::string_view id, std::chrono::seconds grace);
  // Temporary files left by a crash, older than `grace`.
  size_t remove_old_temporaries(std::chrono::seconds grace);

  const std::string& root() const { return root_; }

 private:
  std::string root_;
  int root_fd_ = -1;
};

}  // namespace ximssd::store
