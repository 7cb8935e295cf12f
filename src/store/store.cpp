#include "store/store.hpp"

#include <future>

#include "base/error.hpp"
#include "store/postgres/pg_backend.hpp"
#include "store/sqlite/sqlite_backend.hpp"

namespace ximssd::store {

std::unique_ptr<Store> Store::open_embedded(const std::string& data_dir, bool with_writer) {
  auto blobs = std::make_unique<BlobStore>(data_dir + "/blobs");
  auto backend = std::make_unique<SqliteBackend>(data_dir + "/ximssd.db", blobs.get(), with_writer);
  return std::make_unique<Store>(std::move(backend), std::move(blobs));
}

std::unique_ptr<Store> Store::open(const StoreOptions& options, bool with_writer) {
  if (options.backend == "sqlite" && options.blobs.empty()) return open_embedded(options.data_dir, with_writer);
  auto blobs = std::make_unique<BlobStore>(options.blobs.empty() ? options.data_dir + "/blobs" : options.blobs);
  std::unique_ptr<Backend> backend;
  if (options.backend == "sqlite") {
    backend = std::make_unique<SqliteBackend>(options.data_dir + "/ximssd.db", blobs.get(), with_writer);
  } else if (options.backend == "postgres") {
    if (options.postgres.empty())
      throw Failure(ErrorCode::badRequest, "store.backend is postgres but store.postgres (the connection string) is empty");
    backend = std::make_unique<PgBackend>(options.postgres, blobs.get(), with_writer);
  } else {
    throw Failure(ErrorCode::badRequest, "store.backend must be sqlite or postgres, not " + options.backend);
  }
  return std::make_unique<Store>(std::move(backend), std::move(blobs));
}

Store::Store(std::unique_ptr<Backend> backend, std::unique_ptr<BlobStore> blobs)
    : backend_(std::move(backend)), blobs_(std::move(blobs)) {}

Store::~Store() { backend_.reset(); }

GarbageReport Store::collect_garbage(std::chrono::seconds grace) {
  GarbageReport report;
  report.temporaries_removed = blobs_->remove_old_temporaries(grace);
  auto candidates = blobs_->old_blobs(grace);
  constexpr size_t kChunk = 1000;  // keeps each writer turn short
  for (size_t start = 0; start < candidates.size(); start += kChunk) {
    size_t end = std::min(candidates.size(), start + kChunk);
    auto check = [&](Repository& repo) {
      for (size_t i = start; i < end; ++i) {
        if (!repo.blob_referenced(candidates[i]) && blobs_->remove_if_old(candidates[i], grace))
          ++report.blobs_removed;
        else
          ++report.blobs_kept;
      }
    };
    if (!backend_->has_writer()) {
      backend_->run_now(check, {});
      continue;
    }
    std::promise<void> finished;
    backend_->submit(check,
                     [&](std::exception_ptr error) {
                       if (error) finished.set_exception(error);
                       else finished.set_value();
                     },
                     {});
    finished.get_future().get();
  }
  return report;
}

}  // namespace ximssd::store
