// Accepts XIMSS connections on one endpoint; each connection gets its own strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "ximss/context.hpp"

namespace ximssd::ximss {

// Binds now (so that errors surface at start-up) and accepts until the context stops.
void listen_ximss(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                  XimssContext& ctx);

}  // namespace ximssd::ximss
