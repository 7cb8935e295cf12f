// What the LMTP and SMTP servers reach: their settings and local delivery. One per server.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <string>

#include "delivery/delivery_settings.hpp"
#include "delivery/local_delivery.hpp"

namespace ximssd::smtp {

struct SmtpContext {
  delivery::InboundSettings settings;
  delivery::LocalDelivery& delivery;
  std::string host_name;       // in the greeting and the Received fields
  std::string default_domain;  // where "RCPT TO:<Postmaster>" goes
  boost::asio::ssl::context* tls = nullptr;  // STARTTLS on the SMTP port; null = not offered
};

// The two dialects one server speaks.
enum class Dialect { lmtp, smtp };

}  // namespace ximssd::smtp
