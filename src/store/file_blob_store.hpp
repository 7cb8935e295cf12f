// Message bodies as immutable, content-addressed files under DATA/blobs/ (or store.blobs),
// fanned out as ab/abcd...: 256 directories, created once.
//
// stage() writes a body into an unnamed file (O_TMPFILE) in its fan-out directory; publish()
// makes a batch of them durable and visible: one filesystem sync for all their data, a link of
// each under its final name (or nothing when that content is already stored), one more sync for
// the names. Only then may the metadata that references them commit. A crash before the link
// leaves nothing behind (the kernel frees unnamed files); after it, at most an unreferenced
// file, which the store's garbage collection removes. Where O_TMPFILE is not supported, a named
// temporary file (".tmp.*") in the same directory is renamed instead.
#pragma once

#include <bitset>
#include <mutex>

#include "store/blob_store.hpp"

namespace ximssd::store {

class FileBlobStore final : public BlobStore {
 public:
  explicit FileBlobStore(std::string root);
  ~FileBlobStore() override;
  FileBlobStore(const FileBlobStore&) = delete;
  FileBlobStore& operator=(const FileBlobStore&) = delete;

  StagedBlob stage(std::string_view bytes) override;
  void publish(const std::vector<StagedBlob>& blobs) override;
  void discard(const StagedBlob& blob) noexcept override;
  void sync() override;
  void link(const StagedBlob& blob) override;

  std::string read(std::string_view id) const override;
  std::string read_prefix(std::string_view id, size_t limit) const override;
  bool exists(std::string_view id) const override;

  std::vector<std::string> old_blobs(std::chrono::seconds grace) const override;
  bool remove_if_old(std::string_view id, std::chrono::seconds grace) override;
  size_t remove_old_temporaries(std::chrono::seconds grace) override;

  std::string path(std::string_view id) const;
  const std::string& root() const { return root_; }

 private:
  // Creates blobs/xx/ for the id's first byte unless it is known to exist.
  void ensure_fan_out_dir(std::string_view id);

  std::string root_;
  int root_fd_ = -1;
  std::mutex known_dirs_mutex_;
  std::bitset<256> known_dirs_;
};

}  // namespace ximssd::store
