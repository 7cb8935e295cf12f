#include "store/file_blob_store.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>

#include "base/error.hpp"
#include "base/random.hpp"

namespace ximssd::store {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void io_failure(const std::string& what) {
  throw Failure(ErrorCode::internal, what + ": " + std::strerror(errno));
}

void write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      io_failure("cannot write " + path);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) io_failure("cannot create " + path);
}

bool older_than(const struct stat& st, std::chrono::seconds grace) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::seconds(st.st_mtim.tv_sec) + grace < now;
}

}  // namespace

FileBlobStore::FileBlobStore(std::string root) : root_(std::move(root)) {
  fs::create_directories(root_);
  root_fd_ = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0) io_failure("cannot open " + root_);
}

FileBlobStore::~FileBlobStore() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

std::string FileBlobStore::path(std::string_view id) const {
  std::string p = root_;
  p += '/';
  p += id.substr(0, 2);
  p += '/';
  p += id;
  return p;
}

bool FileBlobStore::exists(std::string_view id) const {
  struct stat st;
  return valid_id(id) && ::stat(path(id).c_str(), &st) == 0;
}

StagedBlob FileBlobStore::stage(std::string_view bytes) {
  StagedBlob blob;
  blob.id = id_of(bytes);
  blob.size = static_cast<int64_t>(bytes.size());
  ensure_fan_out_dir(blob.id);
  std::string dir = root_ + "/" + blob.id.substr(0, 2);
  // Unnamed: creating it takes no directory lock, and a crash leaves nothing to clean up.
  blob.fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (blob.fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    blob.temp_path = dir + "/.tmp." + blob.id.substr(0, 16) + "." + random_alnum(12);
    blob.fd = ::open(blob.temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  }
  if (blob.fd < 0) io_failure("cannot create a file in " + dir);
  try {
    write_all(blob.fd, bytes, dir);
  } catch (...) {
    discard(blob);
    throw;
  }
  // Start writing the data back now, without waiting: by the time the batch's sync runs, most of
  // it is already on its way to the device.
  ::sync_file_range(blob.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  return blob;
}

void FileBlobStore::sync() {
  if (::syncfs(root_fd_) != 0) io_failure("cannot sync " + root_);
}

void FileBlobStore::link(const StagedBlob& blob) {
  std::string final_path = path(blob.id);
  int rc;
  if (blob.temp_path.empty()) {
    std::string proc = "/proc/self/fd/" + std::to_string(blob.fd);
    rc = ::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, final_path.c_str(), AT_SYMLINK_FOLLOW);
  } else {
    struct stat st;
    rc = ::stat(final_path.c_str(), &st) == 0 ? (errno = EEXIST, -1)
                                              : ::rename(blob.temp_path.c_str(), final_path.c_str());
  }
  int error = errno;
  if (rc != 0 && error == EEXIST) {
    // The same content is already stored (and durable): keep that file, and refresh its time so
    // that garbage collection gives the new reference its grace period.
    ::utimensat(AT_FDCWD, final_path.c_str(), nullptr, 0);
    rc = 0;
  }
  discard(blob);  // closes the file; a named temporary that was renamed is gone already
  if (rc != 0) {
    errno = error;
    io_failure("cannot publish " + final_path);
  }
}

void FileBlobStore::publish(const std::vector<StagedBlob>& blobs) {
  if (blobs.empty()) return;
  size_t released = 0;  // link() releases its blob even when it throws
  try {
    // One syncfs covers the data of every staged file: the whole batch costs one device flush
    // here and one after the links, instead of two per message.
    sync();
    while (released < blobs.size()) link(blobs[released++]);
    sync();  // the names are durable once this returns
  } catch (...) {
    for (size_t i = released; i < blobs.size(); ++i) discard(blobs[i]);
    throw;
  }
}

void FileBlobStore::ensure_fan_out_dir(std::string_view id) {
  unsigned index = static_cast<unsigned>(std::stoul(std::string(id.substr(0, 2)), nullptr, 16));
  std::lock_guard lock(known_dirs_mutex_);
  if (known_dirs_.test(index)) return;
  make_dir(root_ + "/" + std::string(id.substr(0, 2)));
  known_dirs_.set(index);
}

void FileBlobStore::discard(const StagedBlob& blob) noexcept {
  if (blob.fd >= 0) ::close(blob.fd);
  if (!blob.temp_path.empty()) ::unlink(blob.temp_path.c_str());
}

std::string FileBlobStore::read(std::string_view id) const { return read_prefix(id, SIZE_MAX); }

std::string FileBlobStore::read_prefix(std::string_view id, size_t limit) const {
  if (!valid_id(id)) throw Failure(ErrorCode::notFound, "no such message body");
  std::string p = path(id);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw Failure(ErrorCode::notFound, "message body missing: " + std::string(id));
    io_failure("cannot open " + p);
  }
  std::string out;
  struct stat st;
  if (::fstat(fd, &st) == 0) out.reserve(std::min(static_cast<size_t>(st.st_size), limit));
  char buffer[65536];
  while (out.size() < limit) {
    ssize_t n = ::read(fd, buffer, std::min(sizeof buffer, limit - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      io_failure("cannot read " + p);
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::vector<std::string> FileBlobStore::old_blobs(std::chrono::seconds grace) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it.depth() != 1) continue;
    std::string name = it->path().filename().string();
    if (!valid_id(name)) continue;
    struct stat st;
    if (::stat(it->path().c_str(), &st) == 0 && older_than(st, grace)) out.push_back(name);
  }
  return out;
}

bool FileBlobStore::remove_if_old(std::string_view id, std::chrono::seconds grace) {
  if (!valid_id(id)) return false;
  std::string p = path(id);
  struct stat st;
  if (::stat(p.c_str(), &st) != 0 || !older_than(st, grace)) return false;
  return ::unlink(p.c_str()) == 0;
}

size_t FileBlobStore::remove_old_temporaries(std::chrono::seconds grace) {
  size_t removed = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it.depth() != 1 || it->path().filename().string().rfind(".tmp.", 0) != 0) continue;
    struct stat st;
    if (::stat(it->path().c_str(), &st) == 0 && older_than(st, grace) && ::unlink(it->path().c_str()) == 0) ++removed;
  }
  return removed;
}

}  // namespace ximssd::store
