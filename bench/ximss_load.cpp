// ximss_load: a load generator for XIMSS over TCP (zero-byte-terminated XML messages).
//
// Standalone on purpose: POSIX sockets and epoll only, so it builds and runs without the server's
// libraries. Modes:
//
//   noop  --host H --port P --user U --password PW --connections N --depth D --seconds S
//         [--threads T] [--warmup W] [--pid SERVERPID]
//     Opens N connections and logs each in, then keeps D pipelined noops in flight on every
//     connection. After a warm-up of W seconds (1) it counts responses for S seconds. Every
//     response id is checked against the order the requests were sent in. Connections are spread
//     over T event-loop threads (1). With --pid, the server's CPU time (user+system, from
//     /proc/PID/stat) over the same window is reported too, and noops per server CPU second.
//
//   idle  --host H --port P --user U --password PW --count N --pid SERVERPID [--inflight K]
//     Reads the server's VmRSS, logs in N sessions (at most K, default 64, logins in flight),
//     waits 2 s, reads VmRSS again, then sends one noop on every session (all must succeed), and
//     prints the growth per session.
//
//   free-port [--host H]
//     Prints a TCP port that was free a moment ago (for scripts).
//
// Each mode prints one JSON line on stdout; diagnostics go to stderr. The exit status is 0 only
// when no errors (failed logins, id mismatches, error responses, disconnects, timeouts) occurred.

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "load_common.hpp"

const char load::tool_name[] = "ximss_load";

namespace {

using namespace load;

// ---------------------------------------------------------------------------------------------
// Command line

struct Options : CommonOptions {
  long connections = 1;
  long depth = 1;
  long count = 0;
  long pid = 0;
  long inflight = 64;
  Options() { timeout = 120; }  // overall limit for logging in / answering, seconds
};

void usage() {
  std::fputs(
      "usage:\n"
      "  ximss_load noop --host H --port P --user U --password PW --connections N --depth D\n"
      "                  --seconds S [--threads T] [--warmup W] [--pid SERVERPID] [--timeout T]\n"
      "  ximss_load idle --host H --port P --user U --password PW --count N --pid SERVERPID\n"
      "                  [--inflight K] [--timeout T]\n"
      "  ximss_load free-port [--host H]\n",
      stderr);
}

Options parse_args(int argc, char** argv) {
  Options o;
  // --host, --port, --user, --password, --seconds, --warmup, --threads and --timeout are common.
  auto own = [&o](const std::string& name, const std::string& value) {
    if (name == "connections") o.connections = parse_long(name, value, 1);
    else if (name == "depth") o.depth = parse_long(name, value, 1);
    else if (name == "count") o.count = parse_long(name, value, 1);
    else if (name == "pid") o.pid = parse_long(name, value, 1);
    else if (name == "inflight") o.inflight = parse_long(name, value, 1);
    else return false;
    return true;
  };
  parse_command_line(argc, argv, usage, {"noop", "idle"}, o, own);
  if (o.mode == "free-port") return o;
  if (o.mode == "idle") {
    if (o.count == 0) die("--count is required in idle mode");
    if (o.pid == 0) die("--pid is required in idle mode");
  }
  if (o.threads > o.connections) o.threads = o.connections;
  return o;
}

// ---------------------------------------------------------------------------------------------
// XML helpers: just enough to read the start tag of a server message.

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

// Reads the first element's start tag of one message (which may begin with whitespace, an XML
// declaration or comments). Returns false when no start tag could be read.
bool parse_start_tag(std::string_view m, Tag& out) {
  size_t i = 0, n = m.size();
  for (;;) {
    while (i < n && is_space(m[i])) ++i;
    if (i >= n || m[i] != '<') return false;
    if (m.substr(i, 2) == "<?") {
      auto e = m.find("?>", i + 2);
      if (e == std::string_view::npos) return false;
      i = e + 2;
    } else if (m.substr(i, 4) == "<!--") {
      auto e = m.find("-->", i + 4);
      if (e == std::string_view::npos) return false;
      i = e + 3;
    } else {
      break;
    }
  }
  return read_tag(m, i, out) != std::string_view::npos && !out.name.empty();
}

// ---------------------------------------------------------------------------------------------
// Networking

// VmRSS of a process in KiB, from /proc/PID/status.
long read_rss_kib(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  if (!f) die("cannot read /proc/" + std::to_string(pid) + "/status (is the server running?)");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      long kib = 0;
      if (std::sscanf(line.c_str() + 6, "%ld", &kib) == 1) return kib;
    }
  }
  die("no VmRSS in /proc/" + std::to_string(pid) + "/status");
}

// ---------------------------------------------------------------------------------------------
// One event loop with a set of connections.

struct alignas(64) Stats {
  std::atomic<uint64_t> responses{0};        // noop responses received (any outcome)
  std::atomic<uint64_t> id_mismatches{0};    // response id not the one expected next
  std::atomic<uint64_t> error_responses{0};  // noop response carrying errorNum
  std::atomic<uint64_t> disconnects{0};      // connections lost after login
  std::atomic<uint64_t> logged_in{0};
  std::atomic<uint64_t> login_failures{0};
  std::atomic<bool> done_logging_in{false};  // every connection logged in or failed
};

class Loop {
 public:
  enum class State : uint8_t { idle, connecting, logging_in, ready, closed };

  struct Conn {
    int fd = -1;
    State state = State::idle;
    bool want_out = false;
    std::string in;   // bytes of an incomplete message (empty most of the time)
    std::string out;  // bytes not yet sent
    size_t out_off = 0;
    uint64_t sent = 0;      // noops sent; noop k has id "N<k>" (k from 1)
    uint64_t answered = 0;  // noop responses received
  };

  Loop(const Options& o, const Address& addr, size_t nconns, Stats& stats)
      : opt_(o), addr_(addr), conns_(nconns), stats_(stats), scratch_(1 << 16) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) die("epoll_create1: " + errno_text(errno));
    login_msg_ = "<login id=\"L1\" authData=\"" + xml_escape(opt_.user) + "\" password=\"" +
                 xml_escape(opt_.password) + "\"/>";
    login_msg_.push_back('\0');
  }
  ~Loop() {
    close_all();
    if (ep_ >= 0) ::close(ep_);
  }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Noop mode: keep `depth` noops in flight on each connection once it is logged in.
  void set_pipeline_depth(uint64_t d) { depth_ = d; }
  void set_max_logins_in_flight(size_t k) { max_logins_ = k; }

  // Starts connecting (up to the login bound).
  void start() { start_more(); }

  bool all_logins_finished() const { return logins_finished_ == conns_.size(); }
  size_t logged_in() const { return logged_in_; }
  const std::string& first_error() const { return first_error_; }

  // Runs the loop until pred() is true or the deadline passes; returns pred().
  bool run_until(const std::function<bool()>& pred, Clock::time_point deadline) {
    epoll_event evs[512];
    while (!pred()) {
      auto now = Clock::now();
      if (now >= deadline) return pred();
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
      int timeout = static_cast<int>(std::min<long long>(left + 1, 50));
      int n = epoll_wait(ep_, evs, 512, timeout);
      if (n < 0) {
        if (errno == EINTR) continue;
        die("epoll_wait: " + errno_text(errno));
      }
      for (int i = 0; i < n; ++i) handle(evs[i].data.u32, evs[i].events);
      stats_.responses.store(responses_, std::memory_order_relaxed);
    }
    return true;
  }

  // Idle mode: one noop on every logged-in session.
  void send_one_noop_each() {
    for (uint32_t i = 0; i < conns_.size(); ++i) {
      Conn& c = conns_[i];
      if (c.state != State::ready) continue;
      queue_noop(c);
      flush(i);
    }
  }
  uint64_t noops_sent() const {
    uint64_t s = 0;
    for (auto& c : conns_) s += c.sent;
    return s;
  }
  uint64_t responses() const { return responses_; }
  uint64_t bad_responses() const { return mismatches_ + error_responses_; }

  void close_all() {
    for (auto& c : conns_) {
      if (c.fd >= 0) ::close(c.fd);
      c.fd = -1;
      if (c.state != State::closed) c.state = State::closed;
    }
  }

 private:
  void note_error(std::string msg) {
    if (first_error_.empty()) first_error_ = std::move(msg);
  }

  void start_more() {
    while (next_to_start_ < conns_.size() && logins_in_flight_ < max_logins_) {
      uint32_t idx = static_cast<uint32_t>(next_to_start_++);
      ++logins_in_flight_;
      start_connect(idx);
    }
  }

  void login_finished(uint32_t idx, bool ok, const std::string& why) {
    Conn& c = conns_[idx];
    --logins_in_flight_;
    ++logins_finished_;
    if (ok) {
      ++logged_in_;
      stats_.logged_in.fetch_add(1, std::memory_order_relaxed);
      c.state = State::ready;
      if (depth_ > 0) {
        for (uint64_t k = 0; k < depth_; ++k) queue_noop(c);
        flush(idx);
      }
    } else {
      stats_.login_failures.fetch_add(1, std::memory_order_relaxed);
      note_error("login failed: " + why);
      drop(idx);
    }
    if (all_logins_finished()) stats_.done_logging_in.store(true, std::memory_order_release);
    start_more();
  }

  void start_connect(uint32_t idx) {
    Conn& c = conns_[idx];
    int fd = ::socket(addr_.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      c.state = State::closed;
      login_finished(idx, false, "socket: " + errno_text(errno) +
                                     (errno == EMFILE ? " (raise ulimit -n)" : ""));
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.fd = fd;
    c.state = State::connecting;
    int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr_.addr), addr_.len);
    if (rc != 0 && errno != EINPROGRESS) {
      login_finished(idx, false, "connect: " + errno_text(errno));
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.u32 = idx;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl: " + errno_text(errno));
    c.want_out = true;
  }

  void set_want_out(uint32_t idx, bool want) {
    Conn& c = conns_[idx];
    if (c.want_out == want || c.fd < 0) return;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.u32 = idx;
    if (epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev) != 0) die("epoll_ctl: " + errno_text(errno));
    c.want_out = want;
  }

  void drop(uint32_t idx) {
    Conn& c = conns_[idx];
    if (c.fd >= 0) {
      epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
    }
    c.fd = -1;
    c.state = State::closed;
    std::string().swap(c.in);
    std::string().swap(c.out);
    c.out_off = 0;
  }

  // The connection went away (or failed) for `why`.
  void lost(uint32_t idx, const std::string& why) {
    Conn& c = conns_[idx];
    State st = c.state;
    if (st == State::connecting || st == State::logging_in) {
      login_finished(idx, false, why);
    } else if (st == State::ready) {
      ++disconnects_;
      stats_.disconnects.fetch_add(1, std::memory_order_relaxed);
      note_error("connection lost: " + why);
      drop(idx);
    } else {
      drop(idx);
    }
  }

  void queue_noop(Conn& c) {
    char buf[48];
    static constexpr char head[] = "<noop id=\"N";
    std::memcpy(buf, head, sizeof head - 1);
    char* p = buf + sizeof head - 1;
    p = std::to_chars(p, buf + sizeof buf, ++c.sent).ptr;
    std::memcpy(p, "\"/>", 4);  // includes the terminating zero byte
    c.out.append(buf, static_cast<size_t>(p - buf) + 4);
  }

  // Sends what is queued; returns false if the connection was dropped.
  bool flush(uint32_t idx) {
    Conn& c = conns_[idx];
    while (c.out_off < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        set_want_out(idx, true);
        return true;
      }
      lost(idx, "send: " + errno_text(errno));
      return false;
    }
    c.out.clear();
    c.out_off = 0;
    if (c.out.capacity() > 4096) std::string().swap(c.out);
    set_want_out(idx, false);
    return true;
  }

  void handle(uint32_t idx, uint32_t events) {
    Conn& c = conns_[idx];
    if (c.fd < 0) return;
    if (c.state == State::connecting) {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        lost(idx, "connect: " + errno_text(err));
        return;
      }
      c.state = State::logging_in;
      c.out.append(login_msg_);
      if (!flush(idx)) return;
      return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
      if (!read_some(idx)) return;
    }
    if ((events & EPOLLOUT) && c.fd >= 0) flush(idx);
  }

  // Reads what is available and processes every complete message. Returns false if the
  // connection was dropped.
  bool read_some(uint32_t idx) {
    Conn& c = conns_[idx];
    for (int round = 0; round < 4; ++round) {
      ssize_t n = ::recv(c.fd, scratch_.data(), scratch_.size(), 0);
      if (n == 0) {
        lost(idx, "closed by the server");
        return false;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        lost(idx, "recv: " + errno_text(errno));
        return false;
      }
      std::string_view data(scratch_.data(), static_cast<size_t>(n));
      if (!c.in.empty()) {
        c.in.append(data);
        data = c.in;
      }
      size_t pos = 0;
      while (pos < data.size()) {
        const void* z = std::memchr(data.data() + pos, '\0', data.size() - pos);
        if (!z) break;
        size_t end = static_cast<size_t>(static_cast<const char*>(z) - data.data());
        if (!on_message(idx, data.substr(pos, end - pos))) return false;
        pos = end + 1;
      }
      if (c.fd < 0) return false;
      if (!c.in.empty()) {
        c.in.erase(0, pos);
        // Keep idle connections small: no buffer once a long message has been read.
        if (c.in.empty() && c.in.capacity() > 4096) std::string().swap(c.in);
      } else if (pos < data.size()) {
        c.in.assign(data.substr(pos));
      }
      if (static_cast<size_t>(n) < scratch_.size()) break;
    }
    if (!c.out.empty()) return flush(idx);
    return true;
  }

  // Returns false if the connection was dropped.
  bool on_message(uint32_t idx, std::string_view msg) {
    Conn& c = conns_[idx];
    Tag& tag = tag_;
    bool parsed = parse_start_tag(msg, tag);
    if (!parsed) {
      // Whitespace between messages is allowed; anything else unreadable is an error.
      bool blank = std::all_of(msg.begin(), msg.end(), is_space);
      if (blank) return true;
      if (c.state == State::logging_in) {
        lost(idx, "unreadable message: " + std::string(msg.substr(0, 120)));
        return false;
      }
      ++mismatches_;
      stats_.id_mismatches.fetch_add(1, std::memory_order_relaxed);
      note_error("unreadable message: " + std::string(msg.substr(0, 120)));
      return true;
    }
    auto id = tag.attr("id"), error_num = tag.attr("errorNum");
    if (!id) {
      // Asynchronous message. <bye/> announces that the server closes the connection.
      if (tag.name == "bye") note_error("server sent <bye/>");
      return true;
    }
    if (tag.name != "response") return true;  // a data message before its response
    if (c.state == State::logging_in) {
      if (*id != "L1") {
        lost(idx, "unexpected response id '" + std::string(*id) + "' to login");
        return false;
      }
      if (error_num) {
        login_finished(idx, false,
                       "errorNum=" + std::string(*error_num) + " errorText=\"" +
                           std::string(tag.attr("errorText").value_or("")) + "\"");
        return false;
      }
      login_finished(idx, true, "");
      return true;
    }
    if (c.state != State::ready) return true;
    // A noop response: its id must be the next one in the order the noops were sent.
    uint64_t expected = ++c.answered;
    ++responses_;
    char buf[32];
    buf[0] = 'N';
    char* e = std::to_chars(buf + 1, buf + sizeof buf, expected).ptr;
    if (*id != std::string_view(buf, static_cast<size_t>(e - buf))) {
      ++mismatches_;
      stats_.id_mismatches.fetch_add(1, std::memory_order_relaxed);
      note_error("response id '" + std::string(*id) + "', expected '" +
                 std::string(buf, static_cast<size_t>(e - buf)) + "'");
    }
    if (error_num) {
      ++error_responses_;
      stats_.error_responses.fetch_add(1, std::memory_order_relaxed);
      note_error("noop answered errorNum=" + std::string(*error_num) + " errorText=\"" +
                 std::string(tag.attr("errorText").value_or("")) + "\"");
    }
    if (depth_ > 0 && !stop_sending_) queue_noop(c);  // keep the pipeline full
    return true;
  }

 public:
  void stop_sending() { stop_sending_ = true; }

 private:
  const Options& opt_;
  Address addr_;
  std::vector<Conn> conns_;
  Stats& stats_;
  std::vector<char> scratch_;
  Tag tag_;  // of the message being read; reused, so that its attribute list is not reallocated
  int ep_ = -1;
  std::string login_msg_;
  uint64_t depth_ = 0;
  size_t max_logins_ = 64;
  size_t next_to_start_ = 0;
  size_t logins_in_flight_ = 0;
  size_t logins_finished_ = 0;
  size_t logged_in_ = 0;
  uint64_t responses_ = 0;
  uint64_t mismatches_ = 0;
  uint64_t error_responses_ = 0;
  uint64_t disconnects_ = 0;
  bool stop_sending_ = false;
  std::string first_error_;
};

// Raises the open-file limit (one socket per session), saying so when it cannot.
void raise_nofile_or_warn() {
  if (!raise_nofile())
    std::fprintf(stderr, "ximss_load: cannot raise RLIMIT_NOFILE: %s\n", std::strerror(errno));
}

// ---------------------------------------------------------------------------------------------
// noop mode

std::string first_error_of(const std::vector<std::unique_ptr<Loop>>& loops) {
  for (auto& l : loops)
    if (!l->first_error().empty()) return l->first_error();
  return "";
}

int run_noop(const Options& o) {
  raise_nofile_or_warn();
  Address addr = resolve(o.host, o.port);
  size_t nthreads = static_cast<size_t>(o.threads);
  std::vector<std::unique_ptr<Stats>> stats;
  std::vector<std::unique_ptr<Loop>> loops;
  for (size_t t = 0; t < nthreads; ++t) {
    size_t share = static_cast<size_t>(o.connections) / nthreads +
                   (t < static_cast<size_t>(o.connections) % nthreads ? 1 : 0);
    stats.push_back(std::make_unique<Stats>());
    loops.push_back(std::make_unique<Loop>(o, addr, share, *stats.back()));
    loops.back()->set_pipeline_depth(static_cast<uint64_t>(o.depth));
    loops.back()->set_max_logins_in_flight(static_cast<size_t>(std::max(1L, o.inflight)));
  }

  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  auto t_login = Clock::now();
  auto forever = Clock::now() + std::chrono::hours(24 * 365);
  for (size_t t = 0; t < nthreads; ++t) {
    threads.emplace_back([&, t] {
      Loop& l = *loops[t];
      l.start();
      l.run_until([&] { return stop.load(std::memory_order_relaxed); }, forever);
      l.close_all();
    });
  }

  auto sum = [&](auto field) {
    uint64_t s = 0;
    for (auto& st : stats) s += ((*st).*field).load(std::memory_order_relaxed);
    return s;
  };
  auto finish = [&] {
    stop.store(true);
    for (auto& th : threads) th.join();
  };

  // Wait until every connection has logged in (or failed).
  auto login_deadline = t_login + to_duration(o.timeout);
  for (;;) {
    bool all = std::all_of(stats.begin(), stats.end(), [](auto& s) {
      return s->done_logging_in.load(std::memory_order_acquire);
    });
    if (all) break;
    if (Clock::now() >= login_deadline) {
      finish();
      die("timed out logging in (" + std::to_string(sum(&Stats::logged_in)) + " of " +
          std::to_string(o.connections) + " logged in)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  double login_seconds = seconds_since(t_login);
  if (sum(&Stats::login_failures) != 0) {
    finish();
    die(std::to_string(sum(&Stats::login_failures)) + " of " + std::to_string(o.connections) +
        " logins failed; first: " + first_error_of(loops));
  }

  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  double cpu0 = o.pid ? read_cpu_seconds(o.pid) : -1;
  uint64_t r0 = sum(&Stats::responses);
  auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  uint64_t r1 = sum(&Stats::responses);
  double elapsed = seconds_since(t0);
  double cpu1 = o.pid ? read_cpu_seconds(o.pid) : -1;
  finish();

  uint64_t noops = r1 - r0;
  uint64_t mismatches = sum(&Stats::id_mismatches);
  uint64_t error_responses = sum(&Stats::error_responses);
  uint64_t disconnects = sum(&Stats::disconnects);
  uint64_t errors = mismatches + error_responses + disconnects;
  std::string first_error = first_error_of(loops);

  std::printf(
      "{\"mode\":\"noop\",\"connections\":%ld,\"depth\":%ld,\"seconds\":%g,\"threads\":%zu,"
      "\"noops\":%llu,\"noops_per_sec\":%.1f,\"measured_seconds\":%.3f,\"login_seconds\":%.3f,"
      "\"errors\":%llu,\"id_mismatches\":%llu,\"error_responses\":%llu,\"disconnects\":%llu",
      o.connections, o.depth, o.seconds, nthreads, static_cast<unsigned long long>(noops),
      static_cast<double>(noops) / elapsed, elapsed, login_seconds,
      static_cast<unsigned long long>(errors), static_cast<unsigned long long>(mismatches),
      static_cast<unsigned long long>(error_responses),
      static_cast<unsigned long long>(disconnects));
  double cpu = print_server_cpu(cpu0, cpu1, o.pid, elapsed);
  if (cpu > 0) std::printf(",\"noops_per_server_cpu_sec\":%.1f", static_cast<double>(noops) / cpu);
  return finish_json_line(errors, first_error, noops == 0 ? "no responses during the measurement" : "");
}

// ---------------------------------------------------------------------------------------------
// idle mode

int run_idle(const Options& o) {
  raise_nofile_or_warn();
  check_nofile(o.count, 32, "sessions");
  Address addr = resolve(o.host, o.port);
  Stats stats;
  Loop loop(o, addr, static_cast<size_t>(o.count), stats);
  loop.set_max_logins_in_flight(static_cast<size_t>(o.inflight));

  long rss_before = read_rss_kib(o.pid);
  auto t_login = Clock::now();
  auto deadline = t_login + to_duration(o.timeout);
  loop.start();
  if (!loop.run_until([&] { return loop.all_logins_finished(); }, deadline))
    die("timed out logging in (" + std::to_string(loop.logged_in()) + " of " +
        std::to_string(o.count) + " logged in)");
  double login_seconds = seconds_since(t_login);
  if (loop.logged_in() != static_cast<size_t>(o.count))
    die(std::to_string(static_cast<size_t>(o.count) - loop.logged_in()) + " of " +
        std::to_string(o.count) + " logins failed; first: " + loop.first_error());

  // Let the server settle, still reading whatever it may send meanwhile.
  loop.run_until([] { return false; }, Clock::now() + std::chrono::seconds(2));
  long rss_after = read_rss_kib(o.pid);
  if (stats.disconnects.load() != 0)
    die(std::to_string(stats.disconnects.load()) + " sessions were lost while idle; first: " +
        loop.first_error());

  // Prove every session is alive: one noop each, all answered without error.
  loop.send_one_noop_each();
  uint64_t want = static_cast<uint64_t>(o.count);
  auto noop_deadline = Clock::now() + to_duration(o.timeout);
  loop.run_until([&] { return loop.responses() >= want || stats.disconnects.load() != 0; },
                 noop_deadline);
  uint64_t ok = loop.responses() - std::min(loop.responses(), loop.bad_responses());
  uint64_t failed = want - std::min(want, ok);
  loop.close_all();

  double per_session = static_cast<double>(rss_after - rss_before) * 1024.0 /
                       static_cast<double>(o.count);
  std::printf(
      "{\"mode\":\"idle\",\"sessions\":%ld,\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,"
      "\"per_session_bytes\":%.0f,\"login_seconds\":%.3f,\"noops_ok\":%llu,\"noops_failed\":%llu",
      o.count, rss_before, rss_after, per_session, login_seconds,
      static_cast<unsigned long long>(ok), static_cast<unsigned long long>(failed));
  std::string shortfall;
  if (failed != 0)
    shortfall = std::to_string(failed) + " of " + std::to_string(o.count) +
                " sessions did not answer a noop; first: " + loop.first_error();
  return finish_json_line(0, loop.first_error(), shortfall);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  if (o.mode == "noop") return run_noop(o);
  if (o.mode == "idle") return run_idle(o);
  return run_free_port(o.host);
}
