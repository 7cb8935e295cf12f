#include "store/postgres/pg_change_listener.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>

#include "store/postgres/pg_backend.hpp"
#include "store/postgres/pg_connection.hpp"

namespace ximssd::store {

namespace {

// "<origin> 12,34": the mailbox ids, unless the origin is ours.
std::vector<int64_t> parse_payload(std::string_view payload, std::string_view own_origin) {
  std::vector<int64_t> ids;
  auto space = payload.find(' ');
  if (space == std::string_view::npos || payload.substr(0, space) == own_origin) return ids;
  std::string_view list = payload.substr(space + 1);
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = list.substr(0, comma);
    int64_t id = 0;
    if (std::from_chars(item.data(), item.data() + item.size(), id).ec == std::errc()) ids.push_back(id);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return ids;
}

}  // namespace

PgChangeListener::PgChangeListener(std::string conninfo, std::string origin, Backend::RemoteChanges changes)
    : conninfo_(std::move(conninfo)), origin_(std::move(origin)), changes_(std::move(changes)) {
  thread_ = std::thread([this] { run(); });
}

PgChangeListener::~PgChangeListener() {
  stopping_ = true;
  thread_.join();
}

void PgChangeListener::run() {
  bool lost = false;  // notifications may have been missed since the last connection
  while (!stopping_) {
    PGconn* conn = pg_connect(conninfo_);
    bool listening = false;
    if (PQstatus(conn) == CONNECTION_OK) {
      PGresult* r = PQexec(conn, (std::string("LISTEN ") + kChangeChannel).c_str());
      listening = PQresultStatus(r) == PGRES_COMMAND_OK;
      PQclear(r);
    }
    if (!listening) {
      if (!lost) spdlog::warn("store: cannot listen for other nodes' changes: {}", PQerrorMessage(conn));
      lost = true;
      PQfinish(conn);
      for (int i = 0; i < 10 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (lost) {
      spdlog::info("store: listening for other nodes' changes again");
      changes_({}, true);
      lost = false;
    }
    while (!stopping_) {
      pollfd fd{PQsocket(conn), POLLIN, 0};
      int ready = ::poll(&fd, 1, 200);  // wakes up now and then to see whether to stop
      if (ready < 0 && errno != EINTR) break;
      if (ready <= 0) continue;
      if (!PQconsumeInput(conn)) break;  // the connection is gone
      std::vector<int64_t> ids;
      while (PGnotify* n = PQnotifies(conn)) {
        auto more = parse_payload(n->extra ? n->extra : "", origin_);
        ids.insert(ids.end(), more.begin(), more.end());
        PQfreemem(n);
      }
      if (!ids.empty()) changes_(ids, false);
    }
    if (!stopping_) {
      spdlog::warn("store: lost the connection that listens for other nodes' changes");
      lost = true;
    }
    PQfinish(conn);
  }
}

}  // namespace ximssd::store
