#include "server/config.hpp"

#include "store/store.hpp"

#include <toml++/toml.h>

#include <cctype>
#include <functional>
#include <map>
#include <stdexcept>

namespace ximssd::server {

namespace {

struct Key {
  const char* help;
  std::function<void(Config&, const toml::node&)> apply;
};

template <class T>
T as(const toml::node& node, const char* key) {
  if constexpr (std::is_same_v<T, bool>) {
    if (auto v = node.value<bool>()) return *v;
  } else if constexpr (std::is_integral_v<T>) {
    if (auto v = node.value<int64_t>(); v && *v >= 0) return static_cast<T>(*v);
  } else {
    if (auto v = node.value<std::string>()) return *v;
  }
  throw std::runtime_error(std::string("configuration key ") + key + " has a value of the wrong type");
}

const std::map<std::string, Key>& keys() {
  static const std::map<std::string, Key> k = {
      {"server.data_dir", {"data directory (./var, or --data)",
                           [](Config& c, const toml::node& n) { c.data_dir = as<std::string>(n, "server.data_dir"); }}},
      {"server.default_domain", {"domain used when a login names none (default: the host name, at first start)",
                                 [](Config& c, const toml::node& n) { c.default_domain = as<std::string>(n, "server.default_domain"); }}},
      {"server.log_level", {"trace, debug, info, warn, error or off (info)",
                            [](Config& c, const toml::node& n) { c.log_level = as<std::string>(n, "server.log_level"); }}},
      {"store.backend", {"where the metadata lives: sqlite (DATA/ximssd.db) or postgres (sqlite)",
                         [](Config& c, const toml::node& n) { c.store_backend = as<std::string>(n, "store.backend"); }}},
      {"store.postgres", {"PostgreSQL connection string for store.backend = postgres, e.g. \"host=db1 dbname=ximssd user=ximssd\" ()",
                          [](Config& c, const toml::node& n) { c.store_postgres = as<std::string>(n, "store.postgres"); }}},
      {"store.blobs", {"directory of message bodies; nodes sharing a database share it (DATA/blobs)",
                       [](Config& c, const toml::node& n) { c.store_blobs = as<std::string>(n, "store.blobs"); }}},
      {"store.blob_storage", {"message bodies as files (in store.blobs) or in the database (postgres only): files or database (files)",
                              [](Config& c, const toml::node& n) { c.store_blob_storage = as<std::string>(n, "store.blob_storage"); }}},
      {"server.node", {"this node's name, carried in HTTP session ids for sticky load balancing (none)",
                       [](Config& c, const toml::node& n) {
                         c.node_name = as<std::string>(n, "server.node");
                         for (char ch : c.node_name)
                           if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_')
                             throw std::runtime_error("server.node may hold only letters, digits and '_'");
                       }}},
      {"server.io_threads", {"network threads; 0 = one per core (0)",
                             [](Config& c, const toml::node& n) { c.io_threads = as<unsigned>(n, "server.io_threads"); }}},
      {"ximss.listen", {"address XIMSS listens on (0.0.0.0)",
                        [](Config& c, const toml::node& n) { c.ximss_listen = as<std::string>(n, "ximss.listen"); }}},
      {"ximss.port", {"XIMSS TCP port (11024)",
                      [](Config& c, const toml::node& n) { c.ximss_port = as<uint16_t>(n, "ximss.port"); }}},
      {"imap.listen", {"address IMAP and IMAPS listen on (0.0.0.0)",
                       [](Config& c, const toml::node& n) { c.imap.listen = as<std::string>(n, "imap.listen"); }}},
      {"imap.port", {"IMAP port, STARTTLS available; 0 = none (10143)",
                     [](Config& c, const toml::node& n) { c.imap.port = as<uint16_t>(n, "imap.port"); }}},
      {"imap.tls_port", {"IMAPS port (TLS from the start); 0 = none (10993)",
                         [](Config& c, const toml::node& n) { c.imap.tls_port = as<uint16_t>(n, "imap.tls_port"); }}},
      {"imap.idle_timeout", {"seconds an IMAP connection may stay silent, IDLE included (1800)",
                             [](Config& c, const toml::node& n) { c.imap.idle_timeout = std::chrono::seconds(as<int64_t>(n, "imap.idle_timeout")); }}},
      {"imap.login_timeout", {"seconds an IMAP connection may stay without logging in (60)",
                              [](Config& c, const toml::node& n) { c.imap.login_timeout = std::chrono::seconds(as<int64_t>(n, "imap.login_timeout")); }}},
      {"imap.max_bad_commands", {"BAD commands in a row before an IMAP connection is closed (20)",
                                 [](Config& c, const toml::node& n) { c.imap.max_bad_commands = as<unsigned>(n, "imap.max_bad_commands"); }}},
      {"imap.max_line", {"longest IMAP command line in bytes, literals aside (65536)",
                         [](Config& c, const toml::node& n) { c.imap.max_line = as<size_t>(n, "imap.max_line"); }}},
      {"imap.max_literal", {"largest IMAP literal (an APPENDed message) in bytes (67108864)",
                            [](Config& c, const toml::node& n) { c.imap.max_literal = as<uint64_t>(n, "imap.max_literal"); }}},
      {"imap.quota_kib", {"storage quota per account in KiB, 0 = none; the account setting QuotaStorage overrides it (0)",
                          [](Config& c, const toml::node& n) { c.imap.quota_kib = as<uint64_t>(n, "imap.quota_kib"); }}},
      {"ximss.max_message_size", {"largest XIMSS message in bytes (1048576)",
                                  [](Config& c, const toml::node& n) { c.ximss.max_message_size = as<size_t>(n, "ximss.max_message_size"); }}},
      {"ximss.max_depth", {"deepest XML nesting accepted (64)",
                           [](Config& c, const toml::node& n) { c.ximss.max_depth = as<size_t>(n, "ximss.max_depth"); }}},
      {"ximss.idle_timeout", {"seconds a session may stay silent (600)",
                              [](Config& c, const toml::node& n) { c.ximss.idle_timeout = std::chrono::seconds(as<int64_t>(n, "ximss.idle_timeout")); }}},
      {"ximss.login_timeout", {"seconds a connection may stay without logging in (60)",
                               [](Config& c, const toml::node& n) { c.ximss.login_timeout = std::chrono::seconds(as<int64_t>(n, "ximss.login_timeout")); }}},
      {"ximss.max_errors", {"bad messages in a row before the connection is closed (10)",
                            [](Config& c, const toml::node& n) { c.ximss.max_errors = as<unsigned>(n, "ximss.max_errors"); }}},
      {"http.listen", {"address XIMSS over HTTP listens on (0.0.0.0)",
                       [](Config& c, const toml::node& n) { c.http.listen = as<std::string>(n, "http.listen"); }}},
      {"http.port", {"XIMSS over HTTP port (8100)",
                     [](Config& c, const toml::node& n) { c.http.port = as<uint16_t>(n, "http.port"); }}},
      {"http.public_url", {"base URL of the web pages in mails (password reset); empty = http://<host>:<http.port> ()",
                           [](Config& c, const toml::node& n) { c.http.public_url = as<std::string>(n, "http.public_url"); }}},
      {"http.tls_port", {"XIMSS over HTTPS port, 0 = none (9100)",
                         [](Config& c, const toml::node& n) { c.http.tls_port = as<uint16_t>(n, "http.tls_port"); }}},
      {"http.max_header_size", {"largest request header in bytes (16384)",
                                [](Config& c, const toml::node& n) { c.http.max_header_size = as<size_t>(n, "http.max_header_size"); }}},
      {"http.max_body_size", {"largest XIMSS request body in bytes (1048576)",
                              [](Config& c, const toml::node& n) { c.http.max_body_size = as<size_t>(n, "http.max_body_size"); }}},
      {"http.max_upload_size", {"largest UPLOAD body in bytes (67108864)",
                                [](Config& c, const toml::node& n) { c.http.max_upload_size = as<size_t>(n, "http.max_upload_size"); }}},
      {"http.read_timeout", {"seconds a request may take to arrive (30)",
                             [](Config& c, const toml::node& n) { c.http.read_timeout = std::chrono::seconds(as<int64_t>(n, "http.read_timeout")); }}},
      {"http.keepalive_timeout", {"seconds an idle keep-alive connection stays open (75)",
                                  [](Config& c, const toml::node& n) { c.http.keepalive_timeout = std::chrono::seconds(as<int64_t>(n, "http.keepalive_timeout")); }}},
      {"http.max_poll_wait", {"longest a long-poll GET is held, in seconds (120)",
                              [](Config& c, const toml::node& n) { c.http.max_poll_wait = std::chrono::seconds(as<int64_t>(n, "http.max_poll_wait")); }}},
      {"http.request_rate", {"HTTP requests per second per client address (20000)",
                             [](Config& c, const toml::node& n) { c.http.request_rate = static_cast<double>(as<int64_t>(n, "http.request_rate")); }}},
      {"http.request_burst", {"HTTP requests a client address may send at once above that rate (40000)",
                              [](Config& c, const toml::node& n) { c.http.request_burst = static_cast<double>(as<int64_t>(n, "http.request_burst")); }}},
      {"lmtp.listen", {"address the LMTP server listens on (127.0.0.1)",
                     [](Config& c, const toml::node& n) { c.delivery.inbound.lmtp_listen = as<std::string>(n, "lmtp.listen"); }}},
      {"lmtp.port", {"LMTP TCP port; 0 = none (10024)",
                   [](Config& c, const toml::node& n) { c.delivery.inbound.lmtp_port = as<uint16_t>(n, "lmtp.port"); }}},
      {"lmtp.socket", {"LMTP Unix socket path; empty = DATA/lmtp.sock, \"none\" = no socket ()",
                     [](Config& c, const toml::node& n) { c.delivery.inbound.lmtp_socket = as<std::string>(n, "lmtp.socket"); }}},
      {"smtp.listen", {"address the inbound SMTP server listens on (0.0.0.0)",
                     [](Config& c, const toml::node& n) { c.delivery.inbound.smtp_listen = as<std::string>(n, "smtp.listen"); }}},
      {"smtp.port", {"inbound SMTP port, local recipients only; 0 = none (10025)",
                   [](Config& c, const toml::node& n) { c.delivery.inbound.smtp_port = as<uint16_t>(n, "smtp.port"); }}},
      {"smtp.max_message_size", {"largest message LMTP and SMTP accept, in bytes (52428800)",
                               [](Config& c, const toml::node& n) { c.delivery.inbound.max_message_size = as<uint64_t>(n, "smtp.max_message_size"); }}},
      {"smtp.max_recipients", {"recipients per LMTP or SMTP transaction (1000)",
                             [](Config& c, const toml::node& n) { c.delivery.inbound.max_recipients = as<unsigned>(n, "smtp.max_recipients"); }}},
      {"smtp.timeout", {"seconds an LMTP or SMTP client may stay silent (300)",
                      [](Config& c, const toml::node& n) { c.delivery.inbound.timeout = std::chrono::seconds(as<int64_t>(n, "smtp.timeout")); }}},
      {"smtp.max_bad_commands", {"LMTP or SMTP errors in a row before the connection is closed (20)",
                               [](Config& c, const toml::node& n) { c.delivery.inbound.max_bad_commands = as<unsigned>(n, "smtp.max_bad_commands"); }}},
      {"queue.relay_host", {"send all outgoing mail through this SMTP relay; empty = to each domain's MX ()",
                          [](Config& c, const toml::node& n) { c.delivery.queue.relay_host = as<std::string>(n, "queue.relay_host"); }}},
      {"queue.relay_port", {"the relay's port (25)",
                          [](Config& c, const toml::node& n) { c.delivery.queue.relay_port = as<uint16_t>(n, "queue.relay_port"); }}},
      {"queue.relay_user", {"user name for AUTH to the relay; empty = no AUTH ()",
                          [](Config& c, const toml::node& n) { c.delivery.queue.relay_user = as<std::string>(n, "queue.relay_user"); }}},
      {"queue.relay_password", {"password for AUTH to the relay ()",
                              [](Config& c, const toml::node& n) { c.delivery.queue.relay_password = as<std::string>(n, "queue.relay_password"); }}},
      {"queue.mx_port", {"port of the MX hosts outgoing mail goes to (25)",
                       [](Config& c, const toml::node& n) { c.delivery.queue.mx_port = as<uint16_t>(n, "queue.mx_port"); }}},
      {"queue.dns_server", {"DNS server for MX lookups, address[:port]; empty = the system's ()",
                          [](Config& c, const toml::node& n) { c.delivery.queue.dns_server = as<std::string>(n, "queue.dns_server"); }}},
      {"queue.helo_name", {"name given in EHLO; empty = the host name ()",
                         [](Config& c, const toml::node& n) { c.delivery.queue.helo_name = as<std::string>(n, "queue.helo_name"); }}},
      {"queue.first_retry", {"seconds before the first retry after a temporary failure, doubling after (60)",
                           [](Config& c, const toml::node& n) { c.delivery.queue.first_retry = std::chrono::seconds(as<int64_t>(n, "queue.first_retry")); }}},
      {"queue.max_retry", {"longest wait between delivery attempts, in seconds (3600)",
                         [](Config& c, const toml::node& n) { c.delivery.queue.max_retry = std::chrono::seconds(as<int64_t>(n, "queue.max_retry")); }}},
      {"queue.max_age", {"seconds after which an undelivered message is returned to its sender (432000)",
                       [](Config& c, const toml::node& n) { c.delivery.queue.max_age = std::chrono::seconds(as<int64_t>(n, "queue.max_age")); }}},
      {"queue.concurrency", {"outgoing SMTP deliveries at once (16)",
                           [](Config& c, const toml::node& n) { c.delivery.queue.concurrency = as<unsigned>(n, "queue.concurrency"); }}},
      {"queue.smtp_timeout", {"seconds to wait for each reply of a remote SMTP server (120)",
                            [](Config& c, const toml::node& n) { c.delivery.queue.smtp_timeout = std::chrono::seconds(as<int64_t>(n, "queue.smtp_timeout")); }}},
      {"rules.vacation_period", {"seconds during which a sender gets at most one automatic reply (604800)",
                               [](Config& c, const toml::node& n) { c.delivery.rules.vacation_period = std::chrono::seconds(as<int64_t>(n, "rules.vacation_period")); }}},
      {"tls.certificate", {"PEM certificate chain (DATA/tls/cert.pem, generated self-signed when missing)",
                           [](Config& c, const toml::node& n) { c.tls_certificate = as<std::string>(n, "tls.certificate"); }}},
      {"tls.private_key", {"PEM private key (DATA/tls/key.pem)",
                           [](Config& c, const toml::node& n) { c.tls_private_key = as<std::string>(n, "tls.private_key"); }}},
      {"auth.loopback_is_secure", {"treat loopback connections as secure for cleartext passwords (true)",
                                   [](Config& c, const toml::node& n) { c.ximss.loopback_is_secure = as<bool>(n, "auth.loopback_is_secure"); }}},
      {"auth.cleartext_on_insecure", {"allow cleartext passwords without TLS (false)",
                                      [](Config& c, const toml::node& n) { c.ximss.cleartext_on_insecure = as<bool>(n, "auth.cleartext_on_insecure"); }}},
      {"auth.argon2_opslimit", {"argon2id passes for stored passwords (2)",
                                [](Config& c, const toml::node& n) { c.hash_cost.opslimit = as<unsigned>(n, "auth.argon2_opslimit"); }}},
      {"auth.argon2_memlimit_kib", {"argon2id memory in KiB (19456)",
                                    [](Config& c, const toml::node& n) { c.hash_cost.memlimit_kib = as<size_t>(n, "auth.argon2_memlimit_kib"); }}},
      {"auth.throttle_base_ms", {"delay after the first failed login, doubling per failure (250)",
                                 [](Config& c, const toml::node& n) { c.throttle_base_ms = as<unsigned>(n, "auth.throttle_base_ms"); }}},
      {"auth.throttle_max_ms", {"longest delay between failed logins (8000)",
                                [](Config& c, const toml::node& n) { c.throttle_max_ms = as<unsigned>(n, "auth.throttle_max_ms"); }}},
  };
  return k;
}

// A --set value: an integer, true/false, or else a string.
std::unique_ptr<toml::node> parse_override(const std::string& text) {
  if (text == "true" || text == "false") return std::make_unique<toml::value<bool>>(text == "true");
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() < 19)
    return std::make_unique<toml::value<int64_t>>(std::stoll(text));
  return std::make_unique<toml::value<std::string>>(text);
}

void walk(const toml::table& table, const std::string& prefix, Config& config) {
  for (const auto& [k, node] : table) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = node.as_table()) {
      walk(*sub, key, config);
      continue;
    }
    auto it = keys().find(key);
    if (it == keys().end()) throw std::runtime_error("unknown configuration key: " + key);
    it->second.apply(config, node);
  }
}

}  // namespace

store::StoreOptions store_options(const Config& config) {
  store::StoreOptions options;
  options.data_dir = config.data_dir.string();
  options.backend = config.store_backend;
  options.postgres = config.store_postgres;
  options.blobs = config.store_blobs;
  options.blob_storage = config.store_blob_storage;
  return options;
}

Config load_config(const std::filesystem::path& data_dir, const std::optional<std::filesystem::path>& file,
                   const std::vector<std::string>& overrides) {
  Config config;
  config.data_dir = data_dir;
  std::optional<std::filesystem::path> path = file;
  if (!path && std::filesystem::exists(data_dir / "ximssd.toml")) path = data_dir / "ximssd.toml";
  if (path) {
    try {
      walk(toml::parse_file(path->string()), "", config);
    } catch (const toml::parse_error& e) {
      throw std::runtime_error("cannot read " + path->string() + ": " + std::string(e.description()));
    }
  }
  for (const auto& item : overrides) {
    auto eq = item.find('=');
    if (eq == std::string::npos) throw std::runtime_error("--set wants key=value, got: " + item);
    std::string key = item.substr(0, eq);
    auto it = keys().find(key);
    if (it == keys().end()) throw std::runtime_error("unknown configuration key: " + key);
    it->second.apply(config, *parse_override(item.substr(eq + 1)));
  }
  return config;
}

std::string describe_config_keys() {
  std::string out;
  for (const auto& [key, k] : keys()) out += "  " + key + "  " + k.help + "\n";
  return out;
}

}  // namespace ximssd::server
