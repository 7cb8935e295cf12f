// The server's TLS context: the configured certificate, or a self-signed one generated under
// the data directory on first use so that STARTTLS works out of the box.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>

#include "server/config.hpp"

namespace ximssd::server {

std::unique_ptr<boost::asio::ssl::context> make_tls_context(const Config& config, const std::string& host_name);

}  // namespace ximssd::server
