// append_stress: many concurrent appenders against the real store, through the same code path as
// a session's append (MailboxService rights check, MessageIngest, group-commit writer), printing
// one line per acknowledged append:
//
//   ACK <client> <seq> <uid> <blob id> <size>
//
// Each line is written with one write(2) after the append is durable. The durability test kills
// this process with SIGKILL at random moments and checks every acknowledged append afterwards.
//
// usage: append_stress DATA_DIR ACCOUNT@DOMAIN MAILBOX CLIENTS SEED
//
// The store is SQLite in DATA_DIR (DATA_DIR/ximssd.db, bodies under DATA_DIR/blobs), or PostgreSQL
// when the environment names it, as a server node would open it:
//   XIMSSD_STORE_POSTGRES   libpq connection string (store.backend=postgres, store.postgres)
//   XIMSSD_STORE_BLOBS      the message-body directory (store.blobs; default DATA_DIR/blobs)
#include <sodium.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "base/error.hpp"
#include "base/text.hpp"
#include "mail/mailbox_service.hpp"
#include "mail/message_ingest.hpp"
#include "store/store.hpp"
#include "synthetic_message.hpp"

using namespace ximssd;
namespace asio = boost::asio;

namespace {

void emit(const std::string& line) {
  // One write per line: a kill can cut the stream only between lines or inside the last one.
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(1, line.data() + done, line.size() - done);
    if (n <= 0) std::_Exit(3);
    done += static_cast<size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: append_stress DATA_DIR ACCOUNT@DOMAIN MAILBOX CLIENTS SEED\n";
    return 2;
  }
  if (sodium_init() < 0) return 1;
  std::string data_dir = argv[1];
  auto [name, domain] = split_address(argv[2]);
  std::string mailbox = argv[3];
  int clients = std::stoi(argv[4]);
  uint64_t seed = std::stoull(argv[5]);
  try {
    store::StoreOptions options{data_dir};
    if (const char* conninfo = std::getenv("XIMSSD_STORE_POSTGRES"); conninfo && *conninfo) {
      options.backend = "postgres";
      options.postgres = conninfo;
    }
    if (const char* blobs = std::getenv("XIMSSD_STORE_BLOBS"); blobs && *blobs) options.blobs = blobs;
    auto store = store::Store::open(options);
    auto account = store->reader().find_account(name, domain);
    if (!account) throw Failure(ErrorCode::notFound, "unknown account");
    mail::MailboxService mailboxes(*store);
    asio::thread_pool blocking(4);
    mail::MessageIngest ingest(*store, mailboxes, &blocking);
    mail::Actor actor{account->id, mail::Identity{account->name, account->domain}};
    asio::io_context io(2);
    for (int c = 0; c < clients; ++c) {
      asio::co_spawn(
          io,
          [&, c]() -> asio::awaitable<void> {
            for (int64_t seq = 0;; ++seq) {
              mail::IncomingMessage m;
              m.bytes = ximssd::loadgen::make_message(seed, c, seq);
              auto size = m.bytes.size();
              std::string id = store::BlobStore::id_of(m.bytes);
              auto appended = co_await ingest.append(actor, mailbox, std::move(m));
              emit("ACK " + std::to_string(c) + " " + std::to_string(seq) + " " + std::to_string(appended.uid) + " " + id +
                   " " + std::to_string(size) + "\n");
            }
          },
          asio::detached);
    }
    std::thread second([&] { io.run(); });
    io.run();
    second.join();
  } catch (const std::exception& e) {
    std::cerr << "append_stress: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
