// Runs CPU-heavy or blocking work (password hashing, SASL steps) on a separate thread pool so
// that network threads stay responsive; the awaiting coroutine resumes on its own executor.
//
// This is deliberately NOT a coroutine: GCC 12 mis-copies closures passed by value into
// coroutine parameters, so the work is handed over through async_initiate instead.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>

namespace ximssd {

// Calls `complete(error, result)` on the handler's executor, where the result of `work()` (or
// the exception it threw) is delivered. Shared by run_blocking and the store's writer.
template <class R, class Handler>
void complete_on_handler_executor(Handler&& handler, std::exception_ptr error, std::optional<R> result) {
  auto executor = boost::asio::get_associated_executor(handler);
  boost::asio::post(executor, [h = std::move(handler), error, result = std::move(result)]() mutable {
    if (error) h(error, R{});
    else h(nullptr, std::move(*result));
  });
}

template <class F, class R = std::invoke_result_t<F&>>
  requires(!std::is_void_v<R>)
boost::asio::awaitable<R> run_blocking(boost::asio::thread_pool& pool, F work) {
  auto initiate = [&pool](auto handler, F work) {
    boost::asio::post(pool, [handler = std::move(handler), work = std::move(work)]() mutable {
      std::optional<R> result;
      std::exception_ptr error;
      try {
        result.emplace(work());
      } catch (...) {
        error = std::current_exception();
      }
      complete_on_handler_executor<R>(std::move(handler), error, std::move(result));
    });
  };
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(std::exception_ptr, R)>(
      std::move(initiate), boost::asio::use_awaitable, std::move(work));
}

}  // namespace ximssd
