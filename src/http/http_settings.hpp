// Settings of XIMSS over HTTP (the [http] section of the configuration).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ximssd::http {

struct HttpSettings {
  std::string listen = "0.0.0.0";
  uint16_t port = 8100;
  uint16_t tls_port = 9100;  // 0: no HTTPS listener
  // How users reach this server's web pages (links in mail, e.g. password reset); empty:
  // http://<host name>:<port>.
  std::string public_url;
  size_t max_header_size = 16 * 1024;
  size_t max_body_size = 1 << 20;      // XIMSS request bodies
  size_t max_upload_size = 64 << 20;   // UPLOAD bodies
  size_t max_uploads_per_session = 100;
  std::chrono::seconds read_timeout{30};        // a request must arrive whole within this
  std::chrono::seconds keepalive_timeout{75};   // an idle keep-alive connection is closed after this
  std::chrono::seconds max_poll_wait{120};      // the cap on a long-poll's maxWait
  double request_rate = 20000;   // requests per second per client address
  double request_burst = 40000;  // and the burst above that rate
};

}  // namespace ximssd::http
