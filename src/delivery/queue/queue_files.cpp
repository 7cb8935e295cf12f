#include "delivery/queue/queue_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ximssd::delivery {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& path) {
  throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

}  // namespace

QueueFiles::QueueFiles(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }

void QueueFiles::sync_dir() {
  Fd fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) fail("cannot open", dir_);
  if (::fsync(fd.get()) != 0) fail("cannot sync", dir_);
}

void QueueFiles::write_durably(const fs::path& path, const std::string& data) {
  fs::path temporary = path;
  temporary += ".tmp";
  Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) fail("cannot create", temporary);
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = errno;
      ::unlink(temporary.c_str());
      errno = saved;
      fail("cannot write", temporary);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    int saved = errno;
    ::unlink(temporary.c_str());
    errno = saved;
    fail("cannot sync", temporary);
  }
  if (::close(fd.release()) != 0) fail("cannot close", temporary);
  if (::rename(temporary.c_str(), path.c_str()) != 0) fail("cannot rename", temporary);
}

void QueueFiles::create(const QueueEntry& entry, const std::string& message) {
  write_durably(message_path(entry.id), message);
  write_durably(entry_path(entry.id), serialize_entry(entry));
  // One directory sync makes both renames durable: the entry cannot survive without its message.
  sync_dir();
}

void QueueFiles::update(const QueueEntry& entry) {
  write_durably(entry_path(entry.id), serialize_entry(entry));
  sync_dir();
}

void QueueFiles::remove(const std::string& id) {
  std::error_code ec;
  fs::remove(entry_path(id), ec);
  sync_dir();
  fs::remove(message_path(id), ec);
}

std::string QueueFiles::read_message(const std::string& id) const {
  std::ifstream in(message_path(id), std::ios::binary);
  if (!in) throw std::runtime_error("cannot read queued message " + id);
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

std::vector<QueueEntry> QueueFiles::load_all() {
  std::vector<QueueEntry> entries;
  std::vector<fs::path> leftovers;
  for (const auto& item : fs::directory_iterator(dir_)) {
    if (!item.is_regular_file()) continue;
    fs::path path = item.path();
    std::string name = path.filename().string();
    if (path.extension() == ".tmp") {
      leftovers.push_back(path);
      continue;
    }
    std::string id = path.stem().string();
    if (path.extension() == ".eml") {
      if (!fs::exists(entry_path(id))) leftovers.push_back(path);
      continue;
    }
    if (path.extension() != ".env" || !is_queue_id(id)) continue;
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    auto entry = parse_entry(text.str());
    if (!entry || entry->id != id || !fs::exists(message_path(id))) {
      spdlog::error("queue: entry {} is damaged or has no message; set aside as {}.bad", name, name);
      std::error_code ec;
      fs::rename(path, fs::path(path) += ".bad", ec);
      continue;
    }
    entries.push_back(std::move(*entry));
  }
  for (const auto& path : leftovers) {
    std::error_code ec;
    fs::remove(path, ec);
  }
  if (!leftovers.empty()) sync_dir();
  return entries;
}

}  // namespace ximssd::delivery
