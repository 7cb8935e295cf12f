// Delivery-status notifications (RFC 3464): the report the queue sends to a message's sender
// when its recipients are done: the failed ones, and the delivered ones that asked for a
// success notice (NOTIFY=SUCCESS). A multipart/report with a readable part, the
// message/delivery-status part, and the original message (RET=FULL) or its header.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/envelope.hpp"

namespace ximssd::delivery {

struct DsnRecipient {
  std::string address;
  std::string original;    // ORCPT, when the sender gave one
  bool delivered = false;  // else failed
  Outcome outcome;         // the reply that settled it
  std::string remote_mta;  // the SMTP server that gave it; empty for local delivery
  int64_t when = 0;
};

struct DsnInput {
  std::string reporting_mta;  // this server's host name
  std::string from;           // the report's From address (the postmaster)
  std::string to;             // the original's reverse-path
  std::string envid;
  bool return_full = false;
  int64_t arrival = 0;  // when the original was queued
  int64_t now = 0;
  std::vector<DsnRecipient> recipients;
};

std::string build_dsn(const DsnInput& input, std::string_view original);

}  // namespace ximssd::delivery
