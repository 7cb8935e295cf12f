// Server configuration: a TOML file (--config FILE, else DATA/ximssd.toml when present) with
// every key overridable on the command line as --set section.key=value. Every key has a default,
// so no file is needed. Unknown keys are an error, so that typos do not pass silently.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "delivery/delivery_settings.hpp"
#include "http/http_settings.hpp"
#include "imap/server/imap_settings.hpp"
#include "mail/credentials.hpp"
#include "ximss/context.hpp"

namespace ximssd::store {
struct StoreOptions;
}

namespace ximssd::server {

struct Config {
  std::filesystem::path data_dir = "./var";
  std::string default_domain;  // empty: the one chosen at first start (the host name)
  std::string log_level = "info";
  unsigned io_threads = 0;  // 0: one per core

  std::string ximss_listen = "0.0.0.0";
  uint16_t ximss_port = 11024;
  ximss::XimssSettings ximss;
  http::HttpSettings http;
  imap::ImapSettings imap;
  delivery::DeliverySettings delivery;

  std::string tls_certificate;  // empty: DATA/tls/cert.pem, generated when missing
  std::string tls_private_key;

  mail::HashCost hash_cost;
  unsigned throttle_base_ms = 250;
  unsigned throttle_max_ms = 8000;

  // The store: the embedded SQLite database (default) or PostgreSQL shared by several nodes.
  std::string store_backend = "sqlite";
  std::string store_postgres;  // libpq connection string
  std::string store_blobs;     // message bodies; empty = DATA/blobs
  std::string store_blob_storage = "files";  // or "database" (PostgreSQL only)
  // This node's name in HTTP session ids (a load balancer routes a session to the node it names);
  // empty = none.
  std::string node_name;

  std::filesystem::path database_path() const { return data_dir / "ximssd.db"; }
};

// The store the configuration names (store.*).
store::StoreOptions store_options(const Config& config);

// Throws std::runtime_error with a message naming the bad key or value.
Config load_config(const std::filesystem::path& data_dir, const std::optional<std::filesystem::path>& file,
                   const std::vector<std::string>& overrides);

// The keys and their meaning, for `ximssd --help-config` and docs.
std::string describe_config_keys();

}  // namespace ximssd::server
