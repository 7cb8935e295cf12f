#include "delivery/mx_resolver.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <poll.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace ximssd::delivery {

namespace {

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) throw std::runtime_error("cannot initialise c-ares");
  });
}

// One c-ares channel, driven with poll() until its queries are answered.
class Channel {
 public:
  Channel(const std::string& dns_server, std::chrono::milliseconds timeout) {
    init_library();
    ares_options options{};
    options.timeout = static_cast<int>(std::max<int64_t>(timeout.count() / 2, 100));
    options.tries = 2;
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    if (ares_init_options(&channel_, &options, mask) != ARES_SUCCESS) throw std::runtime_error("cannot start c-ares");
    if (!dns_server.empty() && ares_set_servers_ports_csv(channel_, dns_server.c_str()) != ARES_SUCCESS) {
      ares_destroy(channel_);
      throw std::runtime_error("queue.dns_server is not address[:port]: " + dns_server);
    }
  }
  ~Channel() { ares_destroy(channel_); }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  ares_channel get() { return channel_; }

  void wait() {
    for (;;) {
      ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
      int bits = ares_getsock(channel_, sockets, ARES_GETSOCK_MAXNUM);
      pollfd fds[ARES_GETSOCK_MAXNUM];
      nfds_t count = 0;
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
        if (events) fds[count++] = pollfd{sockets[i], events, 0};
      }
      if (count == 0) return;  // nothing outstanding
      timeval tv{};
      timeval* left = ares_timeout(channel_, nullptr, &tv);
      int ms = left ? static_cast<int>(left->tv_sec * 1000 + left->tv_usec / 1000) : 1000;
      int ready = ::poll(fds, count, ms);
      if (ready <= 0) {
        ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // lets c-ares see the timeout
        continue;
      }
      for (nfds_t i = 0; i < count; ++i) {
        ares_socket_t r = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
        ares_socket_t w = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
        if (r != ARES_SOCKET_BAD || w != ARES_SOCKET_BAD) ares_process_fd(channel_, r, w);
      }
    }
  }

 private:
  ares_channel channel_ = nullptr;
};

struct MxAnswer {
  bool done = false;
  int status = ARES_ENOTFOUND;
  std::vector<MailHost> hosts;
};

void on_mx(void* arg, int status, int, unsigned char* answer, int length) {
  auto* out = static_cast<MxAnswer*>(arg);
  out->done = true;
  out->status = status;
  if (status != ARES_SUCCESS) return;
  ares_mx_reply* replies = nullptr;
  out->status = ares_parse_mx_reply(answer, length, &replies);
  for (ares_mx_reply* r = replies; r; r = r->next) out->hosts.push_back(MailHost{r->host, r->priority, {}});
  if (replies) ares_free_data(replies);
}

struct AddressAnswer {
  int status = ARES_ENOTFOUND;
  std::vector<boost::asio::ip::address> addresses;
};

void on_addresses(void* arg, int status, int, ares_addrinfo* info) {
  auto* out = static_cast<AddressAnswer*>(arg);
  out->status = status;
  if (!info) return;
  for (ares_addrinfo_node* n = info->nodes; n; n = n->ai_next) {
    if (n->ai_family == AF_INET) {
      auto* sa = reinterpret_cast<sockaddr_in*>(n->ai_addr);
      boost::asio::ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &sa->sin_addr, 4);
      out->addresses.emplace_back(boost::asio::ip::address_v4(bytes));
    } else if (n->ai_family == AF_INET6) {
      auto* sa = reinterpret_cast<sockaddr_in6*>(n->ai_addr);
      boost::asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &sa->sin6_addr, 16);
      out->addresses.emplace_back(boost::asio::ip::address_v6(bytes));
    }
  }
  ares_freeaddrinfo(info);
}

// Addresses of every host, looked up together.
void resolve_hosts(Channel& channel, std::vector<MailHost>& hosts, std::vector<AddressAnswer>& answers) {
  answers.resize(hosts.size());
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = ARES_AI_NOSORT;
  for (size_t i = 0; i < hosts.size(); ++i)
    ares_getaddrinfo(channel.get(), hosts[i].name.c_str(), nullptr, &hints, on_addresses, &answers[i]);
  channel.wait();
  for (size_t i = 0; i < hosts.size(); ++i) {
    // IPv4 first: a test or a small network rarely routes IPv6, and either reaches the host.
    auto& a = answers[i].addresses;
    std::stable_partition(a.begin(), a.end(), [](const auto& x) { return x.is_v4(); });
    hosts[i].addresses = a;
  }
}

}  // namespace

MailHostLookup lookup_mail_hosts(std::string_view domain_view, const std::string& dns_server,
                                 std::chrono::milliseconds timeout) {
  MailHostLookup result;
  std::string domain(domain_view);
  if (domain.empty() || domain.size() > 253) {
    result.status = MailHostLookup::Status::no_domain;
    result.error = "not a domain name";
    return result;
  }
  Channel channel(dns_server, timeout);
  MxAnswer mx;
  ares_query(channel.get(), domain.c_str(), ns_c_in, ns_t_mx, on_mx, &mx);
  channel.wait();
  if (mx.status == ARES_ENOTFOUND) {
    result.status = MailHostLookup::Status::no_domain;
    result.error = "no such domain: " + domain;
    return result;
  }
  if (mx.status == ARES_ENODATA || (mx.status == ARES_SUCCESS && mx.hosts.empty())) {
    // No MX records: the domain itself is the mail host (RFC 5321 section 5.1).
    mx.hosts = {MailHost{domain, 0, {}}};
  } else if (mx.status != ARES_SUCCESS) {
    result.error = std::string("MX lookup for ") + domain + " failed: " + ares_strerror(mx.status);
    return result;
  }
  // A null MX ("0 .") says the domain takes no mail.
  if (mx.hosts.size() == 1 && (mx.hosts[0].name.empty() || mx.hosts[0].name == ".")) {
    result.status = MailHostLookup::Status::no_domain;
    result.error = domain + " accepts no mail (null MX)";
    return result;
  }
  std::stable_sort(mx.hosts.begin(), mx.hosts.end(),
                   [](const MailHost& a, const MailHost& b) { return a.preference < b.preference; });
  std::vector<AddressAnswer> answers;
  resolve_hosts(channel, mx.hosts, answers);
  bool all_missing = true;
  for (size_t i = 0; i < mx.hosts.size(); ++i) {
    if (!mx.hosts[i].addresses.empty()) result.hosts.push_back(mx.hosts[i]);
    all_missing = all_missing && answers[i].status == ARES_ENOTFOUND;
  }
  if (!result.hosts.empty()) {
    result.status = MailHostLookup::Status::ok;
    return result;
  }
  // Every host is unknown: permanent only when the domain was its own host (no MX at all).
  result.status = all_missing && mx.hosts.size() == 1 && mx.hosts[0].name == domain
                      ? MailHostLookup::Status::no_domain
                      : MailHostLookup::Status::temporary;
  result.error = "no address for the mail hosts of " + domain;
  return result;
}

}  // namespace ximssd::delivery
