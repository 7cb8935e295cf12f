// The session gate: one request at a time, in arrival order, and a waiter is handed the gate
// directly (nobody can slip in between).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "ximss/session.hpp"

using namespace ximssd;
namespace asio = boost::asio;

namespace {

asio::awaitable<void> visitor(ximss::SessionGate& gate, int id, std::vector<std::string>& log, int& inside) {
  co_await gate.enter();
  ++inside;
  log.push_back("in " + std::to_string(id) + (inside > 1 ? " (overlap)" : ""));
  asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(5));
  co_await pause.async_wait(asio::use_awaitable);
  log.push_back("out " + std::to_string(id));
  --inside;
  gate.leave();
}

}  // namespace

TEST(SessionGate, OneAtATimeInArrivalOrder) {
  asio::io_context io;
  ximss::SessionGate gate;
  std::vector<std::string> log;
  int inside = 0;
  for (int i = 1; i <= 4; ++i) asio::co_spawn(io, visitor(gate, i, log, inside), asio::detached);
  io.run();
  std::vector<std::string> expected{"in 1", "out 1", "in 2", "out 2", "in 3", "out 3", "in 4", "out 4"};
  EXPECT_EQ(log, expected);
}

TEST(SessionGate, RunInSessionResumesTheCaller) {
  asio::io_context io;
  auto session = std::make_shared<ximss::Session>("1-x", store::AccountRecord{}, "127.0.0.1", std::chrono::seconds(60));
  session->executor = asio::make_strand(io);
  int value = 0;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await ximss::run_in_session(session, [&]() -> asio::awaitable<void> {
          value = 42;
          co_return;
        });
        done = true;
      },
      asio::detached);
  io.run();
  EXPECT_TRUE(done);
  EXPECT_EQ(value, 42);
}
