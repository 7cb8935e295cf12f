// lmtp_load: delivers messages over LMTP (RFC 2033) to any LMTP server (ximssd, Dovecot's
// lmtp) and measures deliveries per second and each delivery's latency.
//
//   lmtp_load deliver --port P --user RCPT [--host H] [--messages N] [--connections C]
//                     [--size BYTES] [--from ADDR] [--server-pid PID] [--timeout S]
//   lmtp_load free-port [--host H]
//
// C connections (one thread each) say LHLO once, then take messages from a shared counter until N
// have been sent. Each message is one transaction with one recipient: MAIL FROM, RCPT TO and DATA
// pipelined (RFC 2920, as an MTA's LMTP client sends them), the three replies read, then the
// message and the end line; its latency runs from sending MAIL to reading the recipient's reply,
// which an LMTP server sends only once the message is stored. Prints one JSON line:
// deliveries_per_second, p50/p90/p99/max latency in ms, the server's CPU (with --server-pid),
// errors. Standalone: POSIX sockets and threads, nothing from the server.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "load_common.hpp"

namespace load {
const char tool_name[] = "lmtp_load";
}

namespace {

using load::Clock;

struct Options : load::CommonOptions {
  long messages = 1000;
  long connections = 1;
  long size = 4096;
  std::string from = "load@bench.example";
  long server_pid = 0;
};

void usage() {
  std::fprintf(stderr,
               "usage: lmtp_load deliver --port P --user RCPT [--host H] [--messages N] [--connections C]\n"
               "                         [--size BYTES] [--from ADDR] [--server-pid PID] [--timeout S]\n"
               "       lmtp_load free-port [--host H]\n");
}

// A blocking line-oriented connection.
class Connection {
 public:
  Connection(const load::Address& address, double timeout) {
    fd_ = ::socket(address.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket: " + load::errno_text(errno));
    timeval tv{static_cast<time_t>(timeout), static_cast<suseconds_t>((timeout - static_cast<long>(timeout)) * 1e6)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address.addr), address.len) != 0)
      throw std::runtime_error("connect: " + load::errno_text(errno));
  }
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send: " + load::errno_text(errno));
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // One reply (all its lines); returns its code, and its last line in `text`.
  int reply(std::string& text) {
    for (;;) {
      std::string line = read_line();
      if (line.size() < 4) throw std::runtime_error("short reply line: " + line);
      if (line[3] == '-') continue;
      text = line;
      return std::atoi(line.substr(0, 3).c_str());
    }
  }

  void expect(int code, const char* what) {
    std::string text;
    int got = reply(text);
    if (got != code) throw std::runtime_error(std::string(what) + ": " + text);
  }

 private:
  std::string read_line() {
    for (;;) {
      size_t eol = buffer_.find("\r\n", start_);
      if (eol != std::string::npos) {
        std::string line = buffer_.substr(start_, eol - start_);
        start_ = eol + 2;
        if (start_ == buffer_.size()) {
          buffer_.clear();
          start_ = 0;
        }
        return line;
      }
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n == 0) throw std::runtime_error("the server closed the connection");
      if (n < 0) throw std::runtime_error("recv: " + load::errno_text(errno));
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  int fd_ = -1;
  std::string buffer_;
  size_t start_ = 0;
};

// A plain-text message of about `size` bytes, dot-stuffing-free, with the end line.
std::string make_message(long index, long size, const std::string& from, const std::string& to) {
  std::string m = "From: Load <" + from + ">\r\nTo: <" + to + ">\r\nSubject: load message " + std::to_string(index) +
                  "\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <" + std::to_string(index) +
                  ".lmtp-load@bench.example>\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n";
  static const std::string line =
      "The quick brown fox jumps over the lazy dog, and the lazy dog lets it happen.\r\n";
  while (static_cast<long>(m.size()) < size) m += line;
  return m + ".\r\n";
}

struct Result {
  std::vector<double> latencies_ms;
  uint64_t errors = 0;
  std::string first_error;
};

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t i = std::min(sorted.size() - 1, static_cast<size_t>(q * static_cast<double>(sorted.size())));
  return sorted[i];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  load::parse_command_line(argc, argv, usage, {"deliver"}, o, [&](const std::string& name, const std::string& v) {
    if (name == "messages") o.messages = load::parse_long(name, v, 1);
    else if (name == "connections") o.connections = load::parse_long(name, v, 1);
    else if (name == "size") o.size = load::parse_long(name, v, 1);
    else if (name == "from") o.from = v;
    else if (name == "server-pid") o.server_pid = load::parse_long(name, v, 1);
    else return false;
    return true;
  });
  if (o.mode == "free-port") return load::run_free_port(o.host);
  load::Address address = load::resolve(o.host, o.port);

  std::atomic<long> next{0};
  std::atomic<long> ready{0};
  std::atomic<bool> go{false};
  std::vector<Result> results(static_cast<size_t>(o.connections));
  std::vector<std::thread> threads;
  for (long c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      Result& r = results[static_cast<size_t>(c)];
      try {
        Connection conn(address, o.timeout);
        conn.expect(220, "greeting");
        conn.send("LHLO lmtp-load.bench.example\r\n");
        conn.expect(250, "LHLO");
        ready.fetch_add(1);
        while (!go.load()) std::this_thread::yield();
        const std::string envelope = "MAIL FROM:<" + o.from + ">\r\nRCPT TO:<" + o.user + ">\r\nDATA\r\n";
        for (long i = next.fetch_add(1); i < o.messages; i = next.fetch_add(1)) {
          std::string message = make_message(i, o.size, o.from, o.user);
          auto start = Clock::now();
          try {
            conn.send(envelope);
            conn.expect(250, "MAIL");
            conn.expect(250, "RCPT");
            conn.expect(354, "DATA");
            conn.send(message);
            conn.expect(250, "delivery");
            r.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
          } catch (const std::exception& e) {
            if (r.errors++ == 0) r.first_error = e.what();
            return;  // the connection's state is unknown now
          }
        }
        conn.send("QUIT\r\n");
      } catch (const std::exception& e) {
        if (r.errors++ == 0) r.first_error = e.what();
        ready.fetch_add(1);
      }
    });
  }
  while (ready.load() < o.connections) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double cpu0 = o.server_pid ? load::tree_cpu_seconds(o.server_pid) : -1;
  double self0 = load::self_cpu_seconds();
  auto t0 = Clock::now();
  go.store(true);
  for (auto& t : threads) t.join();
  double elapsed = load::seconds_since(t0);
  double cpu1 = o.server_pid ? load::tree_cpu_seconds(o.server_pid) : -1;

  std::vector<double> all;
  uint64_t errors = 0;
  std::string first_error;
  for (auto& r : results) {
    all.insert(all.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    errors += r.errors;
    if (first_error.empty()) first_error = r.first_error;
  }
  std::sort(all.begin(), all.end());
  std::printf("{\"mode\":\"deliver\",\"messages\":%zu,\"connections\":%ld,\"size\":%ld,\"seconds\":%.3f,"
              "\"deliveries_per_second\":%.1f,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f",
              all.size(), o.connections, o.size, elapsed, elapsed > 0 ? static_cast<double>(all.size()) / elapsed : 0,
              percentile(all, 0.5), percentile(all, 0.9), percentile(all, 0.99), all.empty() ? 0 : all.back());
  load::print_server_cpu(cpu0, cpu1, o.server_pid, elapsed);
  load::print_cpu("client_", load::self_cpu_seconds() - self0, elapsed);
  std::printf(",\"errors\":%llu", static_cast<unsigned long long>(errors));
  return load::finish_json_line(errors, first_error, all.empty() ? "nothing was delivered" : "");
}
