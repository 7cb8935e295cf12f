// Where mail for a domain goes (RFC 5321 section 5.1): its MX hosts, lowest preference first,
// each with its addresses; a domain without MX records is its own mail host (A/AAAA). Looked up
// with c-ares, either with the system's resolvers or a given server ("address[:port]"). This
// is a blocking call: run it on the blocking pool.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::delivery {

struct MailHost {
  std::string name;
  int preference = 0;
  std::vector<boost::asio::ip::address> addresses;
};

struct MailHostLookup {
  enum class Status {
    ok,         // `hosts` has at least one host with addresses
    no_domain,  // the domain does not exist, or takes no mail (null MX, RFC 7505): a permanent failure
    temporary,  // no answer, a server failure, or hosts without addresses: try later
  } status = Status::temporary;
  std::vector<MailHost> hosts;
  std::string error;  // why, when not ok
};

MailHostLookup lookup_mail_hosts(std::string_view domain, const std::string& dns_server,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace ximssd::delivery
