// The embedded metadata database: SQLite in WAL mode under the data directory.
// Reads run on the calling thread on a per-thread connection (short, bounded reads);
// writes go through the GroupCommitWriter. Coroutines `co_await write(...)` and are resumed on
// their own executor once the write is durable.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>
#include <string>

#include "base/run_blocking.hpp"
#include "store/group_commit_writer.hpp"
#include "store/sqlite_db.hpp"

namespace ximssd::store {

class Database {
 public:
  // Opens (creating and migrating) `path`. With `with_writer` false (admin commands) writes run
  // synchronously on the calling thread.
  explicit Database(std::string path, bool with_writer = true);
  ~Database();

  // The calling thread's read connection.
  SqliteDb& reader();

  // Runs `work(SqliteDb&) -> R` durably; resumes the awaiting coroutine with its result.
  // The work should capture by reference: the awaiting coroutine's frame outlives it, and GCC 12
  // mis-copies closures with by-value captures created inside a co_await expression.
  template <class R, class F>
  boost::asio::awaitable<R> write(F work);

  // Blocking form, for admin commands and start-up.
  template <class F>
  auto write_now(F work) {
    return in_transaction(reader(), [&] { return work(reader()); });
  }

  GroupCommitWriter* writer() { return writer_.get(); }
  // Finishes the queued writes and stops the writer (at shutdown, while the coroutines that
  // wait for those writes still exist).
  void stop_writer() { writer_.reset(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  uint64_t instance_;  // distinguishes databases in the per-thread connection cache
  std::unique_ptr<GroupCommitWriter> writer_;
};

template <class R, class F>
boost::asio::awaitable<R> Database::write(F work) {
  // Not a coroutine (see base/run_blocking.hpp): the work travels through async_initiate.
  auto initiate = [this](auto handler, F work) {
    auto shared_handler = std::make_shared<decltype(handler)>(std::move(handler));
    auto result = std::make_shared<std::optional<R>>();
    auto complete = [shared_handler, result](std::exception_ptr error) {
      complete_on_handler_executor<R>(std::move(*shared_handler), error, std::move(*result));
    };
    if (!writer_) {
      std::exception_ptr error;
      try {
        result->emplace(write_now(std::move(work)));
      } catch (...) {
        error = std::current_exception();
      }
      complete(error);
      return;
    }
    writer_->submit([work = std::move(work), result](SqliteDb& db) mutable { result->emplace(work(db)); },
                    std::move(complete));
  };
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(std::exception_ptr, R)>(
      std::move(initiate), boost::asio::use_awaitable, std::move(work));
}

}  // namespace ximssd::store
