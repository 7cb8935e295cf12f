// Message bodies as immutable, content-addressed files under DATA/blobs/ (BLAKE2b-256, hex,
// fanned out as ab/abcd...: 256 directories, created once).
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
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::store {

// A written, not yet published body. It owns an open file: exactly one of publish() and
// discard() must receive it.
struct StagedBlob {
  std::string id;         // hex digest of the content
  int fd = -1;            // the unnamed (or temporary) file
  std::string temp_path;  // empty for an unnamed file
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

  // Writes `bytes` to a new unnamed file (not yet synced). Blocking file I/O.
  StagedBlob stage(std::string_view bytes);
  // Durably publishes the staged blobs (two filesystem syncs for the whole batch) and releases
  // them, also when it fails: it then throws Failure(internal) and none of them may be referenced.
  void publish(const std::vector<StagedBlob>& blobs);
  // Releases a staged blob that will not be published.
  void discard(const StagedBlob& blob) noexcept;

  // The two steps publish() is made of, for a writer that pipelines batches (see
  // store/group_commit_writer.hpp): sync() makes durable every body staged and every
  // name linked before it; link() gives a staged body, whose data a sync() has made durable,
  // its name, and releases it (also when it throws).
  void sync();
  void link(const StagedBlob& blob);

  std::string read(std::string_view id) const;  // throws Failure(notFound) when absent
  // The first `limit` bytes (all when shorter): a message's header without its body.
  std::string read_prefix(std::string_view id, size_t limit) const;
  std::string path(std::string_view id) const;
  bool exists(std::string_view id) const;

  // Garbage collection, in two steps so that the reference check can run where no publish can
  // interleave (the store's writer): candidates are blobs not touched for `grace`.
  std::vector<std::string> old_blobs(std::chrono::seconds grace) const;
  bool remove_if_old(std::string_view id, std::chrono::seconds grace);
  // Named temporary files left by a crash, older than `grace`.
  size_t remove_old_temporaries(std::chrono::seconds grace);

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
