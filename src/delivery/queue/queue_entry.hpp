// One message waiting in the outbound queue: its envelope, where it came from, and what has
// happened to each recipient so far. The entry is kept as a small text file next to the message
// (see queue_files.hpp); this header only models it and turns it into text and back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/envelope.hpp"

namespace ximssd::delivery {

enum class RecipientStatus { pending, delivered, failed };

struct RecipientState {
  Recipient recipient;
  RecipientStatus status = RecipientStatus::pending;
  Outcome last;               // the last attempt's reply (meaningful once attempted)
  bool attempted = false;
  bool local = false;         // delivered into a local account (for the DSN's wording)
  int64_t finished = 0;       // seconds since the epoch, when delivered or failed
  std::string remote_mta;     // the SMTP server that gave the final answer, if any
};

struct QueueEntry {
  std::string id;
  std::string mail_from;
  std::string envid;
  bool return_full = false;
  Source source = Source::authenticated;
  int64_t created = 0;        // seconds since the epoch
  int attempts = 0;
  int64_t next_attempt_ms = 0;  // milliseconds since the epoch
  uint64_t size = 0;          // bytes of the message
  std::vector<RecipientState> recipients;

  bool finished() const;
  // The envelope the entry was submitted with (every recipient).
  Envelope envelope() const;
};

// The file form: a version line, then one "key value" line per field and one "rcpt" line per
// recipient, every value percent-encoded so that none holds a space, tab or line break.
std::string serialize_entry(const QueueEntry& entry);
// nullopt when the text is not an entry this version wrote (a damaged or foreign file).
std::optional<QueueEntry> parse_entry(std::string_view text);

std::string_view source_name(Source source);
std::optional<Source> parse_source(std::string_view name);

// A queue id: time-ordered and unguessable, safe as a file name ("<epoch>-<12 alnum>").
std::string new_queue_id(int64_t now);
bool is_queue_id(std::string_view id);

}  // namespace ximssd::delivery
