// load_common.hpp: what the load generators ximss_load (XIMSS over TCP) and http_load (XIMSS over
// HTTP) have in common.
//
// The two tools are separate programs on purpose (ximss_load is plain POSIX sockets and epoll,
// http_load is Boost.Asio/Beast), but they share a command-line syntax, the way they measure CPU
// time, the `free-port` mode scripts/bench uses to pick ports, and the shape of the one JSON line
// each run prints. Those live here, once, so that the tools cannot drift apart: scripts/bench
// parses both tools' output with the same code and strips the same "TOOL: " prefix from their
// diagnostics. Header-only, because each tool is a single translation unit and neither links
// anything from the server (bench/CMakeLists.txt builds them standalone).
//
// A tool includes this header and defines `load::tool_name` (the prefix of its diagnostics).

#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace load {

// The tool's name, the prefix of every diagnostic ("http_load: ..."); each tool defines it.
extern const char tool_name[];

using Clock = std::chrono::steady_clock;

// Exit status 2: the run could not be made (bad arguments, no server, failed logins); 1 is kept
// for a run that was made but saw errors.
[[noreturn]] inline void die(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", tool_name, msg.c_str());
  std::exit(2);
}

inline std::string errno_text(int err) { return std::strerror(err); }

// ---------------------------------------------------------------------------------------------
// Command line: `TOOL MODE --name value` or `--name=value`, options in any order.

inline long parse_long(const std::string& name, const std::string& v, long min) {
  long out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < min)
    die("bad value for --" + name + ": '" + v + "'");
  return out;
}

inline double parse_double(const std::string& name, const std::string& v, double min) {
  char* end = nullptr;
  errno = 0;
  double out = std::strtod(v.c_str(), &end);
  if (v.empty() || errno != 0 || *end != '\0' || !(out >= min))
    die("bad value for --" + name + ": '" + v + "'");
  return out;
}

// The options every mode of both tools understands. A tool's own Options derives from this and
// sets its own defaults for `threads` and `timeout` in its constructor.
struct CommonOptions {
  std::string mode;
  std::string host = "127.0.0.1";
  std::string port;
  std::string user;
  std::string password;
  double seconds = 10;  // the measured window
  double warmup = 1;    // before it
  long threads = 1;
  double timeout = 60;
};

// Parses argv into `o`: the mode (one of `modes`, or free-port, which every tool has), then the
// options. The common ones are handled here; any other is passed to tool_option(name, value),
// which returns false when it does not know it. -h/--help prints usage() and exits 0; a mistake
// prints why and exits 2. Every mode but free-port needs --port and --user.
template <class ToolOption>
void parse_command_line(int argc, char** argv, void (*usage)(), std::initializer_list<std::string_view> modes,
                        CommonOptions& o, ToolOption&& tool_option) {
  if (argc < 2) {
    usage();
    std::exit(2);
  }
  o.mode = argv[1];
  if (o.mode == "-h" || o.mode == "--help") {
    usage();
    std::exit(0);
  }
  if (o.mode != "free-port" && std::find(modes.begin(), modes.end(), o.mode) == modes.end()) {
    usage();
    die("unknown mode '" + o.mode + "'");
  }
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) die("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2), value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else {
      if (i + 1 >= argc) die("--" + name + " needs a value");
      value = argv[++i];
    }
    if (name == "host") o.host = value;
    else if (name == "port") o.port = value;
    else if (name == "user") o.user = value;
    else if (name == "password") o.password = value;
    else if (name == "seconds") o.seconds = parse_double(name, value, 0.001);
    else if (name == "warmup") o.warmup = parse_double(name, value, 0);
    else if (name == "threads") o.threads = parse_long(name, value, 1);
    else if (name == "timeout") o.timeout = parse_double(name, value, 0.001);
    else if (!tool_option(name, value)) die("unknown option --" + name);
  }
  if (o.mode == "free-port") return;
  if (o.port.empty()) die("--port is required");
  if (o.user.empty()) die("--user is required");
}

// ---------------------------------------------------------------------------------------------
// Time

inline Clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

inline double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// ---------------------------------------------------------------------------------------------
// CPU time. The server's CPU over the measured window says what a request costs it; the load
// tool's own and the machine's say whether the client (not the server) was the bottleneck, and
// whether something else was running.

// CPU time (user + system) of a process in seconds, from /proc/PID/stat; negative if unreadable.
inline double read_cpu_seconds(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!f || !std::getline(f, line)) return -1;
  auto rp = line.rfind(')');  // the command name may contain spaces and parentheses
  if (rp == std::string::npos) return -1;
  // After ") ": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  // utime(14) stime(15).
  unsigned long long utime = 0, stime = 0;
  if (std::sscanf(line.c_str() + rp + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                  &utime, &stime) != 2)
    return -1;
  long tck = sysconf(_SC_CLK_TCK);
  return static_cast<double>(utime + stime) / static_cast<double>(tck > 0 ? tck : 100);
}

// This process's CPU time (every thread, user + system), seconds.
inline double self_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

// CPU time the whole machine spent busy (everything but idle and iowait, /proc/stat), seconds;
// negative if unreadable. Busy time beyond the server's and the load tool's is someone else's.
inline double machine_busy_seconds() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(f >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu") return -1;
  long tck = sysconf(_SC_CLK_TCK);
  return static_cast<double>(user + nice + system + irq + softirq + steal) / static_cast<double>(tck > 0 ? tck : 100);
}

// The JSON fields PREFIXcpu_seconds and PREFIXcores_used (CPU seconds over `elapsed` seconds).
inline void print_cpu(const char* prefix, double cpu, double elapsed) {
  std::printf(",\"%scpu_seconds\":%.2f,\"%scores_used\":%.2f", prefix, cpu, prefix, cpu / elapsed);
}

// A process and its descendants (ximssd: one process; Dovecot: the master and its children).
struct ProcInfo {
  long pid, ppid;
};

inline std::vector<long> process_tree(long root) {
  std::vector<ProcInfo> all;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      long pid = 0;
      auto [p, ec] = std::from_chars(e->d_name, e->d_name + std::strlen(e->d_name), pid);
      if (ec != std::errc() || *p != '\0') continue;
      std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
      std::string line;
      if (!std::getline(f, line)) continue;
      auto rp = line.rfind(')');
      if (rp == std::string::npos) continue;
      long ppid = 0;
      if (std::sscanf(line.c_str() + rp + 1, " %*c %ld", &ppid) != 1) continue;
      all.push_back({pid, ppid});
    }
    closedir(d);
  }
  std::unordered_map<long, std::vector<long>> children;
  for (auto& pi : all) children[pi.ppid].push_back(pi.pid);
  std::vector<long> out{root}, stack{root};
  while (!stack.empty()) {
    long p = stack.back();
    stack.pop_back();
    auto it = children.find(p);
    if (it == children.end()) continue;
    for (long c : it->second) {
      out.push_back(c);
      stack.push_back(c);
    }
  }
  return out;
}

// The CPU time of a process tree (see process_tree), seconds; -1 if none of it is readable.
inline double tree_cpu_seconds(long root) {
  double sum = 0;
  bool any = false;
  for (long pid : process_tree(root)) {
    double s = read_cpu_seconds(pid);
    if (s >= 0) {
      sum += s;
      any = true;
    }
  }
  return any ? sum : -1;
}

// The server's CPU over a window from two read_cpu_seconds() samples: prints server_cpu_seconds
// and server_cores_used and returns the CPU seconds, or, when a sample is missing, says so on
// stderr (if a pid was given at all) and returns -1. The caller adds its per-CPU-second rates.
inline double print_server_cpu(double cpu0, double cpu1, long server_pid, double elapsed) {
  if (cpu0 >= 0 && cpu1 >= 0) {
    print_cpu("server_", cpu1 - cpu0, elapsed);
    return cpu1 - cpu0;
  }
  if (server_pid) std::fprintf(stderr, "%s: cannot read /proc/%ld/stat\n", tool_name, server_pid);
  return -1;
}

// ---------------------------------------------------------------------------------------------
// The JSON line. Each mode prints `{"mode":...` with its own fields, then ends it here.

inline std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// Ends the JSON line and gives the exit status. The line gets first_error (when there was one)
// and is flushed before anything is said on stderr. The status is 1 when the run had errors, or
// when `shortfall` says what else made it fail (nothing measured, say), and 0 otherwise; why goes
// to stderr, whose last line scripts/bench shows as the reason a case failed.
inline int finish_json_line(uint64_t errors, const std::string& first_error, const std::string& shortfall = "") {
  if (!first_error.empty()) std::printf(",\"first_error\":%s", json_string(first_error).c_str());
  std::printf("}\n");
  std::fflush(stdout);
  if (errors != 0) {
    std::fprintf(stderr, "%s: %llu errors; first: %s\n", tool_name, static_cast<unsigned long long>(errors),
                 first_error.c_str());
    return 1;
  }
  if (!shortfall.empty()) {
    std::fprintf(stderr, "%s: %s\n", tool_name, shortfall.c_str());
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// XIMSS start tags: just enough XML to read the tags of server messages (the server's own output,
// so no DTDs or CDATA to expect). Attribute values are raw (entities not decoded), which is fine
// for the ids and numbers the tools look at.

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

struct Tag {
  std::string_view name;
  std::vector<std::pair<std::string_view, std::string_view>> attrs;
  std::optional<std::string_view> attr(std::string_view n) const {
    for (auto& [k, v] : attrs)
      if (k == n) return v;
    return std::nullopt;
  }
};

// Reads the start tag beginning at `pos` (at '<'); returns the position after it, or npos when it
// is malformed or cut off. The views in `tag` point into `s`.
inline size_t read_tag(std::string_view s, size_t pos, Tag& tag) {
  size_t i = pos + 1, n = s.size();
  size_t ns = i;
  while (i < n && !is_space(s[i]) && s[i] != '/' && s[i] != '>') ++i;
  tag.name = s.substr(ns, i - ns);
  tag.attrs.clear();
  for (;;) {
    while (i < n && is_space(s[i])) ++i;
    if (i >= n) return std::string_view::npos;
    if (s[i] == '>') return i + 1;
    if (s[i] == '/') return i + 2 <= n ? i + 2 : std::string_view::npos;
    size_t as = i;
    while (i < n && !is_space(s[i]) && s[i] != '=' && s[i] != '>') ++i;
    std::string_view name = s.substr(as, i - as);
    while (i < n && is_space(s[i])) ++i;
    if (i >= n || s[i] != '=') return std::string_view::npos;
    ++i;
    while (i < n && is_space(s[i])) ++i;
    if (i >= n || (s[i] != '"' && s[i] != '\'')) return std::string_view::npos;
    char q = s[i++];
    size_t vs = i;
    while (i < n && s[i] != q) ++i;
    if (i >= n) return std::string_view::npos;
    tag.attrs.emplace_back(name, s.substr(vs, i - vs));
    ++i;
  }
}

// ---------------------------------------------------------------------------------------------
// Sockets and limits

struct Address {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

inline Address resolve(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) die("cannot resolve " + host + ":" + port + ": " + gai_strerror(rc));
  Address a;
  std::memcpy(&a.addr, res->ai_addr, res->ai_addrlen);
  a.len = res->ai_addrlen;
  freeaddrinfo(res);
  return a;
}

// free-port mode: prints a TCP port on `host` that was free a moment ago (scripts/bench starts
// its servers on it).
inline int run_free_port(const std::string& host) {
  Address a = resolve(host, "0");
  int fd = ::socket(a.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket: " + errno_text(errno));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a.addr), a.len) != 0) die("bind: " + errno_text(errno));
  sockaddr_storage got{};
  socklen_t len = sizeof got;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &len) != 0) die("getsockname: " + errno_text(errno));
  ::close(fd);
  unsigned port = got.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&got)->sin6_port)
                                            : ntohs(reinterpret_cast<sockaddr_in*>(&got)->sin_port);
  std::printf("%u\n", port);
  return 0;
}

// Both tools hold one socket per session: the soft limit on open files is raised to the hard one.
// Returns false (errno set) when raising it failed.
inline bool raise_nofile() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return true;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) return false;
  }
  return true;
}

// Dies, before anything is opened, when `needed` sockets plus `spare` descriptors would not fit
// under the limit: better than failing halfway through the logins.
inline void check_nofile(long needed, long spare, const char* what) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return;
  if (static_cast<rlim_t>(needed + spare) > rl.rlim_cur)
    die("RLIMIT_NOFILE is " + std::to_string(rl.rlim_cur) + ", too low for " + std::to_string(needed) + " " +
        what + " (raise the hard limit)");
}

}  // namespace load
