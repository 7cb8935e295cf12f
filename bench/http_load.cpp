// http_load: a load generator for XIMSS over HTTP (the /XIMSSLogin/ and /Session/<urlID>/ binding).
//
// Boost.Asio and Boost.Beast only (header-only), like ximss_load it links nothing from the server.
// Every connection is an HTTP/1.1 keep-alive connection to 127.0.0.1; sessions log in with
// GET /XIMSSLogin/?errorAsXML=1&userName=U&password=P (cleartext is allowed on loopback).
// Connections are spread over T threads, each with its own io_context (C++20 coroutines).
//
//   sync  --port P --user U --password PW [--clients 100] [--batch 1] [--seconds 10]
//         [--warmup 1] [--threads T] [--server-pid PID]
//     C clients, each its own session on its own connection, each with one
//     POST /Session/<urlID>/sync?reqSeq=N in flight at a time whose body holds `batch` noops.
//     After a warm-up of W seconds, POSTs and noop responses are counted for S seconds; every
//     reply must be 200 and carry the batch's responses in order, without errorNum. Prints POSTs/s,
//     requests/s and the POST round-trip time (p50/p99).
//
//   notify --port P --user 'poll{}@DOMAIN' --password PW [--sessions 1000] [--targets 10]
//          [--deliveries 2000] [--interval-ms 50] [--max-wait 30] [--idle-seconds 2]
//          [--threads T] [--server-pid PID]
//     N sessions; "{}" in --user is replaced by the session's number (1..N), so each session can
//     have its own account. Every session opens INBOX as a Folder View (folderOpen over a sync
//     POST) and then long-polls GET /Session/<urlID>/?ackSeq=K&maxWait=S without pause. K of the
//     sessions (spread evenly) are targets: for each, a second session of the same account (the
//     "deliverer") appends a message to the account's INBOX with messageAppend over a sync POST.
//     The latency is from just before the append's POST is written to when the target's
//     long-poll reply carrying <folderReport folder="INBOX" mode="notify"/> has been read. The
//     target then answers the notify with folderSync (which re-arms it) and polls again; its
//     deliverer waits until that poll is out, then for interval * [0.5, 1.5) and appends again.
//     The first delivery of each target is a warm-up and not counted. A notify reaching a
//     session whose mailbox did not change is counted as spurious (an error). Before the
//     deliveries, the server's CPU is measured for I seconds with every session polling idle.
//
//   free-port [--host H]
//     Prints a TCP port that was free a moment ago (for scripts).
//
// With --server-pid, the server's CPU time (user + system, /proc/PID/stat) over the measured
// window is reported; the load tool's own CPU time (getrusage) and the whole machine's busy time
// (/proc/stat) are reported always, so that it can be seen whether the client or the server was
// the bottleneck, and whether anything else was running.
// Each mode prints one JSON line on stdout; diagnostics go to stderr. The exit status is 0 only
// when no errors (failed logins, HTTP errors, error responses, disconnects, timeouts, missed or
// spurious notifies) occurred.

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "load_common.hpp"

const char load::tool_name[] = "http_load";

namespace {

using namespace load;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using boost::system::error_code;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// ---------------------------------------------------------------------------------------------
// Command line

struct Options : CommonOptions {
  long clients = 100;
  long batch = 1;
  long server_pid = 0;
  long sessions = 1000;
  long targets = 10;
  long deliveries = 2000;
  double interval_ms = 50;
  long max_wait = 30;
  double idle_seconds = 2;
  long logins_in_flight = 32;  // per thread
  // timeout: for one exchange, and for logging everybody in; threads 0: one per CPU
  Options() {
    timeout = 60;
    threads = 0;
  }
};

void usage() {
  std::fputs(
      "usage:\n"
      "  http_load sync   --port P --user U --password PW [--clients 100] [--batch 1]\n"
      "                   [--seconds 10] [--warmup 1] [--threads T] [--server-pid PID]\n"
      "  http_load notify --port P --user 'poll{}@DOMAIN' --password PW [--sessions 1000]\n"
      "                   [--targets 10] [--deliveries 2000] [--interval-ms 50] [--max-wait 30]\n"
      "                   [--idle-seconds 2] [--threads T] [--server-pid PID]\n"
      "  http_load free-port [--host H]\n"
      "common: [--host 127.0.0.1] [--timeout 60] [--logins-in-flight 32]\n",
      stderr);
}

Options parse_args(int argc, char** argv) {
  Options o;
  // --host, --port, --user, --password, --seconds, --warmup, --threads and --timeout are common.
  auto own = [&o](const std::string& name, const std::string& value) {
    if (name == "clients") o.clients = parse_long(name, value, 1);
    else if (name == "batch") o.batch = parse_long(name, value, 1);
    else if (name == "server-pid" || name == "pid") o.server_pid = parse_long(name, value, 1);
    else if (name == "sessions") o.sessions = parse_long(name, value, 1);
    else if (name == "targets") o.targets = parse_long(name, value, 1);
    else if (name == "deliveries") o.deliveries = parse_long(name, value, 1);
    else if (name == "interval-ms") o.interval_ms = parse_double(name, value, 0);
    else if (name == "max-wait") o.max_wait = parse_long(name, value, 1);
    else if (name == "idle-seconds") o.idle_seconds = parse_double(name, value, 0);
    else if (name == "logins-in-flight") o.logins_in_flight = parse_long(name, value, 1);
    else return false;
    return true;
  };
  parse_command_line(argc, argv, usage, {"sync", "notify"}, o, own);
  if (o.mode == "free-port") return o;
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  long conns = o.mode == "sync" ? o.clients : o.sessions;
  if (o.threads > conns) o.threads = conns;
  if (o.mode == "notify" && o.targets > o.sessions) die("--targets exceeds --sessions");
  return o;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

std::string url_encode(std::string_view s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// The account name of session `n` (from 1): "{}" in the pattern replaced by n.
std::string user_name(const std::string& pattern, long n) {
  auto p = pattern.find("{}");
  if (p == std::string::npos) return pattern;
  return pattern.substr(0, p) + std::to_string(n) + pattern.substr(p + 2);
}

void append_number(std::string& s, uint64_t v) {
  char buf[24];
  auto e = std::to_chars(buf, buf + sizeof buf, v).ptr;
  s.append(buf, static_cast<size_t>(e - buf));
}

// Calls fn(tag) for every start tag named `name` in `s`, in order; fn returns false to stop.
template <class Fn>
void for_each_tag(std::string_view s, std::string_view name, Fn&& fn) {
  Tag tag;
  size_t pos = 0;
  while ((pos = s.find('<', pos)) != std::string_view::npos) {
    if (s.compare(pos + 1, name.size(), name) == 0 && pos + 1 + name.size() < s.size()) {
      char after = s[pos + 1 + name.size()];
      if (is_space(after) || after == '/' || after == '>') {
        size_t end = read_tag(s, pos, tag);
        if (end == std::string_view::npos) return;
        if (!fn(tag)) return;
        pos = end;
        continue;
      }
    }
    ++pos;
  }
}

// The `response` with this id in a reply: empty when it is there without errorNum, else why not.
std::string response_problem(std::string_view body, std::string_view id) {
  std::string problem = "no response with id \"" + std::string(id) + "\"";
  for_each_tag(body, "response", [&](const Tag& t) {
    auto rid = t.attr("id");
    if (!rid || *rid != id) return true;
    if (auto num = t.attr("errorNum"))
      problem = "errorNum=" + std::string(*num) + " errorText=\"" + std::string(t.attr("errorText").value_or("")) + "\"";
    else
      problem.clear();
    return false;
  });
  return problem;
}

std::string snippet(std::string_view s) {
  std::string out(s.substr(0, 200));
  for (auto& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

// Nearest-rank percentile of a sorted vector.
template <class T>
double percentile(const std::vector<T>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]);
}

// ---------------------------------------------------------------------------------------------
// Threads, connections and HTTP exchanges

struct Shared {
  const Options* opt = nullptr;
  tcp::endpoint endpoint;
  std::string host_header;
  std::atomic<bool> stop{false};
  std::atomic<bool> measuring{false};  // sync: record round-trip times
  std::atomic<bool> go{false};         // notify: deliveries may start
  std::atomic<long> logged_in{0};
  std::atomic<long> login_failures{0};
  std::atomic<long> deliveries_started{0};
  std::atomic<long> deliveries_done{0};
  std::atomic<long> deliverers_alive{0};
};

struct Worker;

// One keep-alive connection. A per-thread watchdog closes it when an exchange overruns.
struct Conn {
  Worker& w;
  tcp::socket sock;
  beast::flat_buffer buf;
  Clock::time_point deadline = Clock::time_point::max();
  bool timed_out = false;
  std::string error;  // why the last operation failed
  explicit Conn(Worker& worker);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  void arm(double seconds) {
    deadline = Clock::now() + to_duration(seconds);
    timed_out = false;
  }
  void disarm() { deadline = Clock::time_point::max(); }
  void close() {
    error_code ec;
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
    buf.clear();
  }
};

struct Reply {
  unsigned status = 0;
  bool keep_alive = true;
  std::string body;
};

struct alignas(64) Worker {
  asio::io_context ioc{1};
  Shared& sh;
  std::unordered_set<Conn*> conns;
  // Written by this worker's thread only; read by the main thread (relaxed atomics).
  std::atomic<uint64_t> posts{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> reconnects{0};
  std::atomic<uint64_t> http_errors{0};  // non-200 statuses
  std::atomic<uint64_t> spurious{0};
  std::atomic<uint64_t> missed{0};
  std::atomic<uint64_t> polls{0};
  std::atomic<uint64_t> empty_polls{0};
  // Read by the main thread only after the worker's thread has ended.
  std::string first_error;
  std::vector<uint32_t> rtt_us;           // sync: POST round trips while measuring
  std::vector<double> notify_ms;          // notify: delivery -> notify
  std::vector<double> append_ms;          // notify: the append's own round trip
  std::mt19937_64 rng;
  size_t next_to_start = 0;
  std::thread thread;

  Worker(Shared& s, uint64_t seed) : sh(s), rng(seed) {}
  virtual ~Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  void error(std::string why) {
    errors.fetch_add(1, std::memory_order_relaxed);
    if (first_error.empty()) first_error = std::move(why);
  }
  void close_all() {
    for (auto* c : conns) c->close();
  }
};

Conn::Conn(Worker& worker) : w(worker), sock(worker.ioc) { w.conns.insert(this); }
Conn::~Conn() { w.conns.erase(this); }

template <class Awaitable>
void spawn(Worker& w, Awaitable&& a) {
  asio::co_spawn(w.ioc, std::forward<Awaitable>(a), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      die(std::string("unexpected exception: ") + ex.what());
    }
  });
}

// Closes connections whose exchange has overrun its deadline; ends when the run stops.
awaitable<void> watchdog(Worker& w) {
  asio::steady_timer t(w.ioc);
  while (!w.sh.stop.load(std::memory_order_relaxed)) {
    t.expires_after(std::chrono::milliseconds(200));
    co_await t.async_wait(use_tuple);
    auto now = Clock::now();
    for (auto* c : w.conns)
      if (c->deadline < now) {
        c->timed_out = true;
        c->close();
      }
  }
}

awaitable<void> sleep_for(Worker& w, Clock::duration d) {
  asio::steady_timer t(w.ioc);
  t.expires_after(d);
  co_await t.async_wait(use_tuple);
}

std::string describe(Conn& c, const char* what, const error_code& ec) {
  if (c.timed_out) return std::string(what) + ": timed out";
  if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset)
    return std::string(what) + ": connection closed by the server";
  return std::string(what) + ": " + ec.message();
}

// Ends the operation `what` on c (armed with a deadline): true when it succeeded, else c.error
// says why and c is closed.
bool finished(Conn& c, const char* what, const error_code& ec) {
  c.disarm();
  if (!ec) return true;
  c.error = describe(c, what, ec);
  c.close();
  return false;
}

awaitable<bool> ensure_connected(Conn& c) {
  if (c.sock.is_open()) co_return true;
  c.buf.clear();
  c.arm(c.w.sh.opt->timeout);
  auto [ec] = co_await c.sock.async_connect(c.w.sh.endpoint, use_tuple);
  if (!finished(c, "connect", ec)) co_return false;
  error_code ignored;
  c.sock.set_option(tcp::no_delay(true), ignored);
  co_return true;
}

awaitable<bool> send(Conn& c, const std::string& request) {
  c.arm(c.w.sh.opt->timeout);
  auto [ec, n] = co_await asio::async_write(c.sock, asio::buffer(request), use_tuple);
  if (!finished(c, "write", ec)) co_return false;
  co_return true;
}

awaitable<bool> receive(Conn& c, Reply& r, double timeout) {
  http::response_parser<http::string_body> p;
  p.body_limit(64u << 20);
  c.arm(timeout);
  auto [ec, n] = co_await http::async_read(c.sock, c.buf, p, use_tuple);
  if (!finished(c, "read", ec)) co_return false;
  auto& m = p.get();
  r.status = m.result_int();
  r.keep_alive = m.keep_alive();
  r.body = std::move(m.body());
  if (!r.keep_alive) c.close();  // the next exchange opens a new connection
  co_return true;
}

// One request and its reply on c (connecting first if needed).
awaitable<bool> exchange(Conn& c, const std::string& request, Reply& r, double timeout) {
  // (GCC 12 miscompiles co_await inside conditions and co_return expressions: plain statements.)
  bool ok = co_await ensure_connected(c);
  if (!ok) co_return false;
  ok = co_await send(c, request);
  if (!ok) co_return false;
  ok = co_await receive(c, r, timeout);
  co_return ok;
}

void start_request(std::string& out, std::string_view method, std::string_view target, const Shared& sh) {
  out.clear();
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(sh.host_header);
  out.append("\r\nUser-Agent: http_load\r\n");
}

void get_request(std::string& out, std::string_view target, const Shared& sh) {
  start_request(out, "GET", target, sh);
  out.append("\r\n");
}

// POST /Session/<urlID>/sync?reqSeq=seq with an XIMSS body.
void sync_request(std::string& out, std::string_view url_id, uint64_t seq, std::string_view body, const Shared& sh) {
  out.clear();
  out.append("POST /Session/").append(url_id).append("/sync?reqSeq=");
  append_number(out, seq);
  out.append(" HTTP/1.1\r\nHost: ").append(sh.host_header);
  out.append("\r\nUser-Agent: http_load\r\nContent-Type: text/xml\r\nContent-Length: ");
  append_number(out, body.size());
  out.append("\r\n\r\n").append(body);
}

// Logs in over HTTP; sets url_id or why.
awaitable<bool> login(Conn& c, const std::string& user, std::string& url_id, std::string& why) {
  const Shared& sh = c.w.sh;
  std::string target = "/XIMSSLogin/?errorAsXML=1&userName=" + url_encode(user) +
                       "&password=" + url_encode(sh.opt->password);
  std::string req;
  get_request(req, target, sh);
  Reply r;
  bool ok = co_await exchange(c, req, r, sh.opt->timeout);
  if (!ok) {
    why = "login of " + user + ": " + c.error;
    co_return false;
  }
  if (r.status != 200) {
    why = "login of " + user + ": HTTP " + std::to_string(r.status) + ": " + snippet(r.body);
    co_return false;
  }
  bool found = false;
  for_each_tag(r.body, "session", [&](const Tag& t) {
    if (auto id = t.attr("urlID")) {
      url_id = std::string(*id);
      found = true;
    }
    return false;
  });
  if (!found || url_id.empty()) {
    why = "login of " + user + ": no session urlID in " + snippet(r.body);
    co_return false;
  }
  co_return true;
}

// One sync POST whose reply must carry `<response id="id"/>` without errorNum.
awaitable<bool> sync_call(Conn& c, std::string_view url_id, uint64_t& seq, const std::string& body,
                          std::string_view id, Reply& r, std::string& why) {
  std::string req;
  sync_request(req, url_id, ++seq, body, c.w.sh);
  bool ok = co_await exchange(c, req, r, c.w.sh.opt->timeout);
  if (!ok) {
    why = c.error;
    co_return false;
  }
  if (r.status != 200) {
    why = "HTTP " + std::to_string(r.status) + ": " + snippet(r.body);
    co_return false;
  }
  why = response_problem(r.body, id);
  if (!why.empty()) why += " in " + snippet(r.body);
  co_return why.empty();
}

// Runs the workers' threads until every coroutine has ended.
void start_threads(std::vector<std::unique_ptr<Worker>>& workers) {
  for (auto& w : workers) {
    Worker* wp = w.get();
    spawn(*wp, watchdog(*wp));
    wp->thread = std::thread([wp] { wp->ioc.run(); });
  }
}

// Stops every coroutine (pending exchanges end with operation_aborted) and joins the threads.
void stop_threads(Shared& sh, std::vector<std::unique_ptr<Worker>>& workers) {
  sh.stop.store(true);
  for (auto& w : workers) {
    Worker* wp = w.get();
    asio::post(wp->ioc, [wp] { wp->close_all(); });
  }
  for (auto& w : workers)
    if (w->thread.joinable()) w->thread.join();
}

std::string first_error(const std::vector<std::unique_ptr<Worker>>& workers) {
  for (auto& w : workers)
    if (!w->first_error.empty()) return w->first_error;
  return "";
}

template <class F>
uint64_t total(const std::vector<std::unique_ptr<Worker>>& workers, F field) {
  uint64_t s = 0;
  for (auto& w : workers) s += ((*w).*field).load(std::memory_order_relaxed);
  return s;
}

// Waits until every login has finished (or failed, or the timeout passed); dies on failures.
void wait_for_logins(Shared& sh, std::vector<std::unique_ptr<Worker>>& workers, long expected) {
  auto deadline = Clock::now() + to_duration(sh.opt->timeout);
  while (sh.logged_in.load() + sh.login_failures.load() < expected) {
    if (Clock::now() >= deadline) {
      long got = sh.logged_in.load();
      stop_threads(sh, workers);
      die("timed out logging in (" + std::to_string(got) + " of " + std::to_string(expected) +
          " sessions ready); first error: " + first_error(workers));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (sh.login_failures.load() != 0) {
    long failed = sh.login_failures.load();
    stop_threads(sh, workers);
    die(std::to_string(failed) + " of " + std::to_string(expected) + " sessions failed to start; first: " +
        first_error(workers));
  }
}

// Spawns --logins-in-flight lanes per worker (each starts sessions until the worker has none
// left), runs the threads, and waits until the `expected` sessions are in; returns how long that
// took.
template <class W, class Lane>
double start_sessions(Shared& sh, std::vector<std::unique_ptr<Worker>>& workers, long expected, Lane lane) {
  for (auto& w : workers)
    for (long k = 0; k < sh.opt->logins_in_flight; ++k) spawn(*w, lane(static_cast<W&>(*w)));
  auto t_login = Clock::now();
  start_threads(workers);
  wait_for_logins(sh, workers, expected);
  return seconds_since(t_login);
}

// CPU time at one end of the measured window: the server's (-1 without --server-pid), this
// tool's, and the whole machine's (-1 if unreadable).
struct CpuSample {
  double server, self, machine;
  explicit CpuSample(long server_pid)
      : server(server_pid ? read_cpu_seconds(server_pid) : -1),
        self(self_cpu_seconds()),
        machine(machine_busy_seconds()) {}
};

// The client_ and machine_ CPU fields over the window a..b (they follow the server's, which each
// mode prints itself with its own rates per server CPU second).
void print_own_cpu(const CpuSample& a, const CpuSample& b, double elapsed) {
  print_cpu("client_", b.self - a.self, elapsed);
  if (a.machine >= 0 && b.machine >= 0) print_cpu("machine_", b.machine - a.machine, elapsed);
}

// ---------------------------------------------------------------------------------------------
// sync mode

struct SyncClient {
  Conn conn;
  std::string user;
  std::string url_id;
  explicit SyncClient(Worker& w) : conn(w) {}
};

struct SyncWorker : Worker {
  using Worker::Worker;
  std::vector<std::unique_ptr<SyncClient>> clients;
  std::string body;  // the batch
  std::vector<std::string> ids;
};

awaitable<void> sync_loop(SyncWorker& w, SyncClient& cl) {
  Shared& sh = w.sh;
  const size_t batch = w.ids.size();
  uint64_t seq = 0;
  std::string req;
  req.reserve(256 + w.body.size());
  Reply r;
  Tag tag;
  while (!sh.stop.load(std::memory_order_relaxed)) {
    if (!cl.conn.sock.is_open() && seq != 0) w.reconnects.fetch_add(1, std::memory_order_relaxed);
    sync_request(req, cl.url_id, ++seq, w.body, sh);
    auto t0 = Clock::now();
    bool ok = co_await exchange(cl.conn, req, r, sh.opt->timeout);
    if (!ok) {
      if (!sh.stop.load()) w.error("client " + cl.user + ": " + cl.conn.error);
      co_return;
    }
    auto t1 = Clock::now();
    if (r.status != 200) {
      w.http_errors.fetch_add(1, std::memory_order_relaxed);
      w.error("sync POST: HTTP " + std::to_string(r.status) + ": " + snippet(r.body));
      continue;
    }
    // The batch's responses, in order, none with errorNum.
    size_t k = 0;
    bool bad = false;
    for_each_tag(r.body, "response", [&](const Tag& t) {
      auto id = t.attr("id");
      if (k >= batch || !id || *id != w.ids[k] || t.attr("errorNum")) {
        bad = true;
        return false;
      }
      ++k;
      return true;
    });
    if (bad || k != batch) {
      w.error("unexpected sync reply: " + snippet(r.body));
      continue;
    }
    w.posts.fetch_add(1, std::memory_order_relaxed);
    w.requests.fetch_add(batch, std::memory_order_relaxed);
    if (sh.measuring.load(std::memory_order_relaxed))
      w.rtt_us.push_back(static_cast<uint32_t>(
          std::min<int64_t>(std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count(), UINT32_MAX)));
    if (!r.keep_alive) w.error("the server closed a keep-alive connection after a sync POST");
  }
}

awaitable<void> sync_lane(SyncWorker& w) {
  Shared& sh = w.sh;
  while (w.next_to_start < w.clients.size() && !sh.stop.load()) {
    SyncClient& cl = *w.clients[w.next_to_start++];
    std::string why;
    bool ok = co_await login(cl.conn, cl.user, cl.url_id, why);
    if (ok) {
      sh.logged_in.fetch_add(1);
      spawn(w, sync_loop(w, cl));
    } else {
      w.error(why);
      sh.login_failures.fetch_add(1);
    }
  }
}

int run_sync(const Options& o, Shared& sh) {
  check_nofile(o.clients, 64, "connections");
  std::vector<std::unique_ptr<Worker>> workers;
  std::string body = "<XIMSS>";
  std::vector<std::string> ids;
  for (long i = 1; i <= o.batch; ++i) {
    ids.push_back(std::to_string(i));
    body += "<noop id=\"" + ids.back() + "\"/>";
  }
  body += "</XIMSS>";
  for (long t = 0; t < o.threads; ++t) {
    auto w = std::make_unique<SyncWorker>(sh, static_cast<uint64_t>(t) + 1);
    w->body = body;
    w->ids = ids;
    workers.push_back(std::move(w));
  }
  for (long i = 0; i < o.clients; ++i) {
    auto& w = static_cast<SyncWorker&>(*workers[static_cast<size_t>(i % o.threads)]);
    auto cl = std::make_unique<SyncClient>(w);
    cl->user = user_name(o.user, i + 1);
    w.clients.push_back(std::move(cl));
  }
  double login_seconds = start_sessions<SyncWorker>(sh, workers, o.clients, sync_lane);

  std::this_thread::sleep_for(to_duration(o.warmup));
  sh.measuring.store(true);
  CpuSample cpu0(o.server_pid);
  uint64_t p0 = total(workers, &Worker::posts), q0 = total(workers, &Worker::requests);
  auto t0 = Clock::now();
  std::this_thread::sleep_for(to_duration(o.seconds));
  uint64_t p1 = total(workers, &Worker::posts), q1 = total(workers, &Worker::requests);
  double elapsed = seconds_since(t0);
  CpuSample cpu1(o.server_pid);
  sh.measuring.store(false);
  stop_threads(sh, workers);

  std::vector<uint32_t> rtt;
  for (auto& w : workers) rtt.insert(rtt.end(), w->rtt_us.begin(), w->rtt_us.end());
  std::sort(rtt.begin(), rtt.end());
  uint64_t posts = p1 - p0, reqs = q1 - q0;
  uint64_t errors = total(workers, &Worker::errors);
  std::string first = first_error(workers);

  std::printf(
      "{\"mode\":\"sync\",\"clients\":%ld,\"batch\":%ld,\"threads\":%ld,\"seconds\":%g,"
      "\"posts\":%llu,\"posts_per_sec\":%.1f,\"requests\":%llu,\"requests_per_sec\":%.1f,"
      "\"rtt_p50_ms\":%.3f,\"rtt_p99_ms\":%.3f,\"rtt_max_ms\":%.3f,\"measured_seconds\":%.3f,"
      "\"login_seconds\":%.3f,\"errors\":%llu,\"http_errors\":%llu,\"reconnects\":%llu",
      o.clients, o.batch, o.threads, o.seconds, static_cast<unsigned long long>(posts),
      static_cast<double>(posts) / elapsed, static_cast<unsigned long long>(reqs),
      static_cast<double>(reqs) / elapsed, percentile(rtt, 50) / 1000, percentile(rtt, 99) / 1000,
      rtt.empty() ? 0.0 : rtt.back() / 1000.0, elapsed, login_seconds, static_cast<unsigned long long>(errors),
      static_cast<unsigned long long>(total(workers, &Worker::http_errors)),
      static_cast<unsigned long long>(total(workers, &Worker::reconnects)));
  double cpu = print_server_cpu(cpu0.server, cpu1.server, o.server_pid, elapsed);
  if (cpu > 0)
    std::printf(",\"posts_per_server_cpu_sec\":%.1f,\"requests_per_server_cpu_sec\":%.1f",
                static_cast<double>(posts) / cpu, static_cast<double>(reqs) / cpu);
  print_own_cpu(cpu0, cpu1, elapsed);
  return finish_json_line(errors, first, posts == 0 ? "no replies during the measurement" : "");
}

// ---------------------------------------------------------------------------------------------
// notify mode

struct PollSession {
  Conn conn;
  std::string user;
  std::string url_id;
  uint64_t seq = 0;  // reqSeq of the last sync POST
  uint64_t ack = 0;  // respSeq of the last long-poll reply
  bool target = false;
  bool armed = false;    // the view will notify, and a long-poll is out
  bool pending = false;  // a delivery whose notify has not arrived
  bool pending_warmup = false;
  bool dead = false;
  Clock::time_point t_sent;
  asio::steady_timer wake;  // the deliverer waits on it; cancelled when the state above changes
  std::unique_ptr<Conn> delivery_conn;
  std::string delivery_url_id;
  uint64_t delivery_seq = 0;
  explicit PollSession(Worker& w) : conn(w), wake(w.ioc) {}
};

struct NotifyWorker : Worker {
  using Worker::Worker;
  std::vector<std::unique_ptr<PollSession>> sessions;
};

awaitable<void> poll_loop(NotifyWorker& w, PollSession& s) {
  Shared& sh = w.sh;
  const Options& o = *sh.opt;
  std::string req, target_base = "/Session/" + s.url_id + "/?maxWait=" + std::to_string(o.max_wait);
  std::string target;
  std::string sync_body = "<XIMSS><folderSync id=\"s\" folder=\"INBOX\"/></XIMSS>";
  Reply r;
  auto fail = [&](std::string why) {
    if (!sh.stop.load()) w.error("session " + s.user + ": " + why);
    s.dead = true;
    s.wake.cancel();
  };
  while (!sh.stop.load(std::memory_order_relaxed)) {
    target = target_base;
    if (s.ack != 0) {
      target += "&ackSeq=";
      append_number(target, s.ack);
    }
    get_request(req, target, sh);
    bool ok = co_await ensure_connected(s.conn);
    if (ok) ok = co_await send(s.conn, req);
    if (!ok) {
      fail("long-poll: " + s.conn.error);
      co_return;
    }
    if (s.target && !s.armed) {
      s.armed = true;
      s.wake.cancel();
    }
    ok = co_await receive(s.conn, r, static_cast<double>(o.max_wait) + o.timeout);
    if (!ok) {
      fail("long-poll: " + s.conn.error);
      co_return;
    }
    auto arrived = Clock::now();
    w.polls.fetch_add(1, std::memory_order_relaxed);
    if (r.status != 200) {
      w.http_errors.fetch_add(1, std::memory_order_relaxed);
      fail("long-poll: HTTP " + std::to_string(r.status) + ": " + snippet(r.body));
      co_return;
    }
    int notifies = 0;
    bool bye = false, other = false;
    bool root = false;
    for_each_tag(r.body, "XIMSS", [&](const Tag& t) {
      root = true;
      if (auto seq = t.attr("respSeq")) {
        uint64_t v = 0;
        std::from_chars(seq->data(), seq->data() + seq->size(), v);
        if (v > s.ack) s.ack = v;
      }
      return false;
    });
    if (!root) {
      fail("long-poll: not an XIMSS reply: " + snippet(r.body));
      co_return;
    }
    for_each_tag(r.body, "folderReport", [&](const Tag& t) {
      if (t.attr("mode") == "notify" && t.attr("folder") == "INBOX") ++notifies;
      else other = true;
      return true;
    });
    for_each_tag(r.body, "bye", [&](const Tag&) {
      bye = true;
      return false;
    });
    if (bye) {
      fail("long-poll: the server sent <bye/>");
      co_return;
    }
    if (other) w.error("session " + s.user + ": unexpected folderReport in " + snippet(r.body));
    if (notifies == 0) {
      w.empty_polls.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (s.target && s.pending) {
      if (!s.pending_warmup) w.notify_ms.push_back(std::chrono::duration<double, std::milli>(arrived - s.t_sent).count());
      s.pending = false;
      --notifies;
    }
    if (notifies > 0) {
      w.spurious.fetch_add(static_cast<uint64_t>(notifies), std::memory_order_relaxed);
      w.error("session " + s.user + ": a notify without a change of its mailbox pending");
    }
    // folderSync answers the notify and re-arms the view; then poll again.
    s.armed = false;
    s.wake.cancel();
    std::string why;
    ok = co_await sync_call(s.conn, s.url_id, s.seq, sync_body, "s", r, why);
    if (!ok) {
      fail("folderSync: " + why);
      co_return;
    }
  }
}

// Waits (on this thread) until pred() holds, the session dies or the run stops.
template <class Pred>
awaitable<bool> wait_until(Worker& w, PollSession& s, Pred pred, Clock::time_point deadline) {
  while (!pred()) {
    if (s.dead || w.sh.stop.load(std::memory_order_relaxed) || Clock::now() >= deadline) co_return false;
    s.wake.expires_after(std::chrono::milliseconds(100));
    co_await s.wake.async_wait(use_tuple);
  }
  co_return true;
}

awaitable<void> deliver_loop(NotifyWorker& w, PollSession& s) {
  Shared& sh = w.sh;
  const Options& o = *sh.opt;
  Conn& c = *s.delivery_conn;
  Reply r;
  std::string why;
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  auto forever = Clock::time_point::max();
  auto armed = [&s] { return s.armed && !s.pending; };
  auto answered = [&s] { return !s.pending; };
  while (!sh.go.load() && !sh.stop.load()) {
    co_await sleep_for(w, std::chrono::milliseconds(5));
  }
  bool warmup = true;
  uint64_t n = 0;
  while (!sh.stop.load(std::memory_order_relaxed)) {
    bool ready = co_await wait_until(w, s, armed, forever);
    if (!ready) break;
    if (!warmup && sh.deliveries_started.fetch_add(1) >= o.deliveries) break;
    if (o.interval_ms > 0) {
      co_await sleep_for(w, to_duration(o.interval_ms * jitter(w.rng) / 1000.0));
    }
    ready = co_await wait_until(w, s, armed, forever);
    if (!ready) break;
    ++n;
    std::string body = "<XIMSS><messageAppend id=\"a\" targetMailbox=\"INBOX\"><EMail><From>http_load@example.dom</From>"
                       "<Subject>delivery " + std::to_string(n) + "</Subject><MIME type=\"text\" subtype=\"plain\">"
                       "A delivery measured by http_load.\n</MIME></EMail></messageAppend></XIMSS>";
    s.pending = true;
    s.pending_warmup = warmup;
    s.t_sent = Clock::now();
    bool ok = co_await sync_call(c, s.delivery_url_id, s.delivery_seq, body, "a", r, why);
    double append_ms = std::chrono::duration<double, std::milli>(Clock::now() - s.t_sent).count();
    if (!ok) {
      if (!sh.stop.load()) w.error("append to " + s.user + ": " + why);
      s.pending = false;
      break;
    }
    if (!warmup) w.append_ms.push_back(append_ms);
    // The notify, within the timeout.
    bool notified = co_await wait_until(w, s, answered, Clock::now() + to_duration(o.timeout));
    if (!notified) {
      if (s.dead || sh.stop.load()) break;
      w.missed.fetch_add(1, std::memory_order_relaxed);
      w.error("no notify for " + s.user + " within " + std::to_string(o.timeout) + " s of an append");
      s.pending = false;
      break;
    }
    if (!warmup) sh.deliveries_done.fetch_add(1);
    warmup = false;
  }
  sh.deliverers_alive.fetch_sub(1);
}

awaitable<void> notify_lane(NotifyWorker& w) {
  Shared& sh = w.sh;
  const std::string open_body =
      "<XIMSS><folderOpen id=\"o\" folder=\"INBOX\" mailbox=\"INBOX\"><field>UID</field></folderOpen></XIMSS>";
  while (w.next_to_start < w.sessions.size() && !sh.stop.load()) {
    PollSession& s = *w.sessions[w.next_to_start++];
    std::string why;
    Reply r;
    bool ok = co_await login(s.conn, s.user, s.url_id, why);
    if (ok) {
      ok = co_await sync_call(s.conn, s.url_id, s.seq, open_body, "o", r, why);
      if (!ok) why = "folderOpen for " + s.user + ": " + why;
    }
    if (ok && s.target) {
      s.delivery_conn = std::make_unique<Conn>(w);
      ok = co_await login(*s.delivery_conn, s.user, s.delivery_url_id, why);
    }
    if (!ok) {
      w.error(why);
      s.dead = true;
      sh.login_failures.fetch_add(1);
      continue;
    }
    sh.logged_in.fetch_add(1);
    spawn(w, poll_loop(w, s));
    if (s.target) {
      sh.deliverers_alive.fetch_add(1);
      spawn(w, deliver_loop(w, s));
    }
  }
}

int run_notify(const Options& o, Shared& sh) {
  check_nofile(o.sessions + o.targets, 64, "connections");
  std::vector<std::unique_ptr<Worker>> workers;
  for (long t = 0; t < o.threads; ++t)
    workers.push_back(std::make_unique<NotifyWorker>(sh, static_cast<uint64_t>(t) * 7919 + 17));
  // Targets spread evenly over the sessions (and so over the threads).
  std::vector<bool> is_target(static_cast<size_t>(o.sessions), false);
  for (long k = 0; k < o.targets; ++k) is_target[static_cast<size_t>(k * o.sessions / o.targets)] = true;
  std::unordered_set<std::string> target_users;
  for (long i = 0; i < o.sessions; ++i) {
    auto& w = static_cast<NotifyWorker&>(*workers[static_cast<size_t>(i % o.threads)]);
    auto s = std::make_unique<PollSession>(w);
    s->user = user_name(o.user, i + 1);
    s->target = is_target[static_cast<size_t>(i)];
    if (s->target) target_users.insert(s->user);
    w.sessions.push_back(std::move(s));
  }
  if (o.user.find("{}") == std::string::npos)
    std::fprintf(stderr,
                 "http_load: every session uses the account %s: each delivery notifies every session "
                 "(use {} in --user for one account per session)\n",
                 o.user.c_str());
  double login_seconds = start_sessions<NotifyWorker>(sh, workers, o.sessions, notify_lane);

  // Every session polling, nothing happening.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  double idle_cpu0 = o.server_pid ? read_cpu_seconds(o.server_pid) : -1;
  auto ti = Clock::now();
  std::this_thread::sleep_for(to_duration(o.idle_seconds));
  double idle_elapsed = seconds_since(ti);
  double idle_cpu1 = o.server_pid ? read_cpu_seconds(o.server_pid) : -1;

  CpuSample cpu0(o.server_pid);
  auto t0 = Clock::now();
  sh.go.store(true);
  // Until the deliveries are done, every deliverer has ended, or the whole run overran.
  double limit = o.timeout + static_cast<double>(o.deliveries) * (o.interval_ms * 1.5 / 1000.0 + 1.0) /
                                 static_cast<double>(o.targets);
  auto deadline = t0 + to_duration(limit);
  bool overran = false;
  while (sh.deliveries_done.load() < o.deliveries && sh.deliverers_alive.load() > 0) {
    if (Clock::now() >= deadline) {
      overran = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  double elapsed = seconds_since(t0);
  CpuSample cpu1(o.server_pid);
  stop_threads(sh, workers);

  std::vector<double> lat, app;
  for (auto& w : workers) {
    lat.insert(lat.end(), w->notify_ms.begin(), w->notify_ms.end());
    app.insert(app.end(), w->append_ms.begin(), w->append_ms.end());
  }
  std::sort(lat.begin(), lat.end());
  std::sort(app.begin(), app.end());
  double mean = 0;
  for (double v : lat) mean += v;
  if (!lat.empty()) mean /= static_cast<double>(lat.size());
  uint64_t errors = total(workers, &Worker::errors);
  std::string first = first_error(workers);
  if (overran) {
    ++errors;
    if (first.empty()) first = "the deliveries did not finish within " + std::to_string(limit) + " s";
  }
  long delivered = static_cast<long>(lat.size());

  std::printf(
      "{\"mode\":\"notify\",\"sessions\":%ld,\"accounts\":%zu,\"targets\":%ld,\"threads\":%ld,"
      "\"deliveries\":%ld,\"interval_ms\":%g,\"max_wait\":%ld,"
      "\"notify_p50_ms\":%.3f,\"notify_p90_ms\":%.3f,\"notify_p99_ms\":%.3f,\"notify_max_ms\":%.3f,"
      "\"notify_mean_ms\":%.3f,\"append_p50_ms\":%.3f,\"append_p99_ms\":%.3f,"
      "\"deliveries_per_sec\":%.1f,\"measured_seconds\":%.3f,\"login_seconds\":%.3f,"
      "\"polls\":%llu,\"empty_polls\":%llu,\"errors\":%llu,\"spurious_notifies\":%llu,"
      "\"missed_notifies\":%llu,\"http_errors\":%llu",
      o.sessions, o.user.find("{}") == std::string::npos ? size_t{1} : static_cast<size_t>(o.sessions), o.targets,
      o.threads, delivered, o.interval_ms, o.max_wait, percentile(lat, 50), percentile(lat, 90),
      percentile(lat, 99), lat.empty() ? 0.0 : lat.back(), mean, percentile(app, 50), percentile(app, 99),
      static_cast<double>(delivered) / elapsed, elapsed, login_seconds,
      static_cast<unsigned long long>(total(workers, &Worker::polls)),
      static_cast<unsigned long long>(total(workers, &Worker::empty_polls)),
      static_cast<unsigned long long>(errors), static_cast<unsigned long long>(total(workers, &Worker::spurious)),
      static_cast<unsigned long long>(total(workers, &Worker::missed)),
      static_cast<unsigned long long>(total(workers, &Worker::http_errors)));
  if (idle_cpu0 >= 0 && idle_cpu1 >= 0) {
    std::printf(",\"idle_seconds\":%.3f", idle_elapsed);
    print_cpu("server_idle_", idle_cpu1 - idle_cpu0, idle_elapsed);
  }
  print_server_cpu(cpu0.server, cpu1.server, o.server_pid, elapsed);
  print_own_cpu(cpu0, cpu1, elapsed);
  std::string shortfall;
  if (delivered < o.deliveries)
    shortfall = "only " + std::to_string(delivered) + " of " + std::to_string(o.deliveries) + " deliveries measured";
  return finish_json_line(errors, first, shortfall);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  if (o.mode == "free-port") return run_free_port(o.host);
  raise_nofile();
  Shared sh;
  sh.opt = &o;
  {
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    error_code ec;
    auto results = resolver.resolve(o.host, o.port, ec);
    if (ec || results.empty()) die("cannot resolve " + o.host + ":" + o.port + ": " + ec.message());
    sh.endpoint = *results.begin();
  }
  sh.host_header = o.host + ":" + o.port;
  if (o.mode == "sync") return run_sync(o, sh);
  return run_notify(o, sh);
}
