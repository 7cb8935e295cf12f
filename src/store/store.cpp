#include "store/store.hpp"

#include <future>

#include "base/error.hpp"
#include "store/file_blob_store.hpp"
#include "store/postgres/pg_backend.hpp"
#include "store/postgres/pg_blob_store.hpp"
#include "store/sqlite/sqlite_backend.hpp"

namespace ximssd::store {

std::unique_ptr<Store> Store::open_embedded(const std::string& data_dir, bool with_writer) {
  auto blobs = std::make_unique<FileBlobStore>(data_dir + "/blobs");
  auto backend = std::make_unique<SqliteBackend>(data_dir + "/ximssd.db", blobs.get(), with_writer);
  return std::make_unique<Store>(std::move(backend), std::move(blobs));
}

std::unique_ptr<Store> Store::open(const StoreOptions& options, bool with_writer) {
  if (options.blob_storage != "files" && options.blob_storage != "database")
    throw Failure(ErrorCode::badRequest, "store.blob_storage must be files or database, not " + options.blob_storage);
  bool in_database = options.blob_storage == "database";
  if (options.backend == "sqlite") {
    if (in_database) throw Failure(ErrorCode::badRequest, "store.blob_storage = database needs store.backend = postgres");
    if (options.blobs.empty()) return open_embedded(options.data_dir, with_writer);
    auto blobs = std::make_unique<FileBlobStore>(options.blobs);
    auto backend = std::make_unique<SqliteBackend>(options.data_dir + "/ximssd.db", blobs.get(), with_writer);
    return std::make_unique<Store>(std::move(backend), std::move(blobs));
  }
  if (options.backend != "postgres")
    throw Failure(ErrorCode::badRequest, "store.backend must be sqlite or postgres, not " + options.backend);
  if (options.postgres.empty())
    throw Failure(ErrorCode::badRequest, "store.backend is postgres but store.postgres (the connection string) is empty");
  if (in_database) {
    auto blobs = std::make_unique<PgBlobStore>();
    auto backend = std::make_unique<PgBackend>(options.postgres, blobs.get(), with_writer);
    blobs->use(backend.get());
    return std::make_unique<Store>(std::move(backend), std::move(blobs));
  }
  auto blobs = std::make_unique<FileBlobStore>(options.blobs.empty() ? options.data_dir + "/blobs" : options.blobs);
  auto backend = std::make_unique<PgBackend>(options.postgres, blobs.get(), with_writer);
  return std::make_unique<Store>(std::move(backend), std::move(blobs));
}

Store::Store(std::unique_ptr<Backend> backend, std::unique_ptr<BlobStore> blobs)
    : backend_(std::move(backend)), blobs_(std::move(blobs)) {}

Store::~Store() { backend_.reset(); }

GarbageReport Store::collect_garbage(std::chrono::seconds grace) {
  GarbageReport report;
  if (auto removed = blobs_->collect_unreferenced(grace)) {
    report.blobs_removed = *removed;
    return report;
  }
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
