// The mail store: metadata through a Backend (SQLite by default) and message bodies in the
// BlobStore. Reads use the calling thread's view; coroutines `co_await write(...)` and are resumed
// on their own executor once the write is durable ("done" always means it survives kill -9).
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/run_blocking.hpp"
#include "store/backend.hpp"
#include "store/blob_store.hpp"
#include "store/repository.hpp"

namespace ximssd::store {

struct GarbageReport {
  size_t blobs_removed = 0;
  size_t blobs_kept = 0;
  size_t temporaries_removed = 0;
};

// Where the store lives: `backend` "sqlite" (DATA/ximssd.db) or "postgres" (`postgres` is a
// libpq connection string); bodies as files under `blobs` (default DATA/blobs; nodes share
// one), or with `blob_storage` "database" in the PostgreSQL database.
struct StoreOptions {
  std::string data_dir;
  std::string backend = "sqlite";
  std::string postgres;
  std::string blobs;
  std::string blob_storage = "files";
};

class Store {
 public:
  // The store the options name. With `with_writer` false (admin commands) writes run
  // synchronously on the calling thread.
  static std::unique_ptr<Store> open(const StoreOptions& options, bool with_writer = true);
  // The embedded default: SQLite at DATA/ximssd.db and blobs under DATA/blobs. With
  // `with_writer` false (admin commands) writes run synchronously on the calling thread.
  static std::unique_ptr<Store> open_embedded(const std::string& data_dir, bool with_writer = true);

  Store(std::unique_ptr<Backend> backend, std::unique_ptr<BlobStore> blobs);
  ~Store();

  Repository& reader() { return backend_->reader(); }
  BlobStore& blobs() { return *blobs_; }
  Backend& backend() { return *backend_; }

  // Runs `work(Repository&) -> R` durably, after publishing `blobs`; resumes the awaiting
  // coroutine with its result. The work should capture by reference: the awaiting coroutine's
  // frame outlives it, and GCC 12 mis-copies closures with by-value captures created inside a
  // co_await expression.
  template <class R, class F>
  boost::asio::awaitable<R> write(F work, std::vector<StagedBlob> blobs = {});

  // Blocking form, for admin commands, start-up and import.
  template <class F>
  auto write_now(F work, const std::vector<StagedBlob>& blobs = {}) {
    using R = decltype(work(reader()));
    if constexpr (std::is_void_v<R>) {
      backend_->run_now([&](Repository& repo) { work(repo); }, blobs);
    } else {
      std::optional<R> result;
      backend_->run_now([&](Repository& repo) { result.emplace(work(repo)); }, blobs);
      return std::move(*result);
    }
  }

  // Removes blobs that no message references and that were not touched for `grace`, and
  // temporaries left by a crash. Blocking; the reference checks run in the writer, where no
  // publish can interleave with them.
  GarbageReport collect_garbage(std::chrono::seconds grace);

  void stop_writer() { backend_->stop_writer(); }

 private:
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<BlobStore> blobs_;
};

template <class R, class F>
boost::asio::awaitable<R> Store::write(F work, std::vector<StagedBlob> blobs) {
  // Not a coroutine (see base/run_blocking.hpp): the work travels through async_initiate.
  auto initiate = [this](auto handler, F work, std::vector<StagedBlob> blobs) {
    auto shared_handler = std::make_shared<decltype(handler)>(std::move(handler));
    auto result = std::make_shared<std::optional<R>>();
    auto complete = [shared_handler, result](std::exception_ptr error) {
      complete_on_handler_executor<R>(std::move(*shared_handler), error, std::move(*result));
    };
    if (!backend_->has_writer()) {
      std::exception_ptr error;
      try {
        result->emplace(write_now(std::move(work), blobs));
      } catch (...) {
        error = std::current_exception();
      }
      complete(error);
      return;
    }
    backend_->submit([work = std::move(work), result](Repository& repo) mutable { result->emplace(work(repo)); },
                     std::move(complete), std::move(blobs));
  };
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(std::exception_ptr, R)>(
      std::move(initiate), boost::asio::use_awaitable, std::move(work), std::move(blobs));
}

}  // namespace ximssd::store
