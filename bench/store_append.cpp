// store_append: durable appends per second through the store's real append path (rights check,
// header parse, body staging, group commit), with N concurrent appenders, next to the raw rate
// at which this machine's filesystem completes a small write + fsync.
//
//   store_append fsync DIR SECONDS          -> "fsync_per_s <n>"
//   store_append append DIR SECONDS N       -> "appends_per_s <n> batches <b> appenders <N>
//                                                cpu_us_per_append <c>"
//
// DIR must not exist yet for "append" (a fresh store is created in it).
#include <fcntl.h>
#include <sys/resource.h>
#include <sodium.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include "mail/mailbox_service.hpp"
#include "mail/message_ingest.hpp"
#include "store/store.hpp"
#include "synthetic_message.hpp"

using namespace ximssd;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int raw_fsync(const std::string& dir, double seconds) {
  std::filesystem::create_directories(dir);
  std::string path = dir + "/fsync-probe";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return 1;
  std::string block(4096, 'x');
  long count = 0;
  auto end = Clock::now() + std::chrono::duration<double>(seconds);
  auto start = Clock::now();
  while (Clock::now() < end) {
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) || ::fsync(fd) != 0) return 1;
    ++count;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  ::unlink(path.c_str());
  std::cout << "fsync_per_s " << static_cast<long>(count / elapsed) << "\n";
  return 0;
}

int appends(const std::string& dir, double seconds, int appenders) {
  auto store = store::Store::open_embedded(dir);
  int64_t account_id = 0, mailbox_id = 0;
  store->write_now([&](store::Repository& r) {
    int64_t domain = r.insert_domain("bench.dom", false);
    account_id = r.insert_account(domain, "bench", "", store::StoredSecrets{"-", std::string(32, 'x'), "-"}, "", 1);
    mailbox_id = r.insert_mailbox(account_id, "INBOX", "", false, r.next_uid_validity(1));
  });
  mail::MailboxService mailboxes(*store);
  asio::thread_pool blocking(4);
  mail::MessageIngest ingest(*store, mailboxes, &blocking);
  mail::Actor actor{account_id, mail::Identity{"bench", "bench.dom"}};
  asio::io_context io(2);
  std::atomic<long> done{0};
  std::atomic<bool> stop{false};
  for (int c = 0; c < appenders; ++c) {
    asio::co_spawn(
        io,
        [&, c]() -> asio::awaitable<void> {
          for (int64_t seq = 0; !stop; ++seq) {
            mail::IncomingMessage m;
            m.bytes = loadgen::make_message(1, c, seq);
            co_await ingest.append(actor, "INBOX", std::move(m));
            if (!stop) ++done;
          }
        },
        asio::detached);
  }
  uint64_t batches_before = 0;
  long done_before = 0;
  double cpu_before = 0;
  Clock::time_point start;
  asio::steady_timer warmup(io), finish(io);
  // One second of warm-up, then the measured interval.
  warmup.expires_after(std::chrono::seconds(1));
  warmup.async_wait([&](auto) {
    start = Clock::now();
    done_before = done;
    batches_before = store->backend().batches();
    cpu_before = cpu_seconds();
    finish.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
    finish.async_wait([&](auto) { stop = true; });
  });
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  long measured = done - done_before;
  double cpu = cpu_seconds() - cpu_before;
  uint64_t batches = store->backend().batches() - batches_before;
  blocking.join();
  store->stop_writer();
  // CPU time (all threads, user + system) per durable append: with the machine's cores it bounds
  // what any amount of batching can reach.
  std::cout << "appends_per_s " << static_cast<long>(measured / elapsed) << " batches " << batches << " appenders "
            << appenders << " cpu_us_per_append " << static_cast<long>(measured ? cpu / measured * 1e6 : 0) << "\n";
  (void)mailbox_id;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fsync" && argc == 4) return raw_fsync(argv[2], std::stod(argv[3]));
  if (mode == "append" && argc == 5) return appends(argv[2], std::stod(argv[3]), std::stoi(argv[4]));
  std::cerr << "usage: store_append fsync DIR SECONDS | store_append append DIR SECONDS APPENDERS\n";
  return 2;
}
