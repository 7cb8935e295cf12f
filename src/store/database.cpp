#include "store/database.hpp"

#include <atomic>
#include <unordered_map>

#include "store/schema.hpp"

namespace ximssd::store {

namespace {
std::atomic<uint64_t> next_instance{1};

// One read connection per thread and database; opened on first use.
std::unordered_map<uint64_t, std::unique_ptr<SqliteDb>>& thread_connections() {
  thread_local std::unordered_map<uint64_t, std::unique_ptr<SqliteDb>> connections;
  return connections;
}
}  // namespace

Database::Database(std::string path, bool with_writer)
    : path_(std::move(path)), instance_(next_instance++) {
  migrate(reader());
  if (with_writer) writer_ = std::make_unique<GroupCommitWriter>(path_);
}

Database::~Database() {
  writer_.reset();
  thread_connections().erase(instance_);
}

SqliteDb& Database::reader() {
  auto& slot = thread_connections()[instance_];
  if (!slot) slot = std::make_unique<SqliteDb>(path_);
  return *slot;
}

}  // namespace ximssd::store
