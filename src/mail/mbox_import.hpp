// Reading mail folders from files: mbox (mboxrd and mboxo: "From " separator lines, ">From "
// unquoted) and Maildir (cur/ and new/, flags from the ":2," suffix). The importer feeds the
// messages to MessageIngest in batches, one durable commit per batch.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "mail/message_ingest.hpp"

namespace ximssd::mail {

struct ImportReport {
  int64_t messages = 0;
  int64_t bytes = 0;
  int64_t skipped = 0;  // empty entries
};

// Calls `sink` for each message of the mbox file, in order. Throws Failure on I/O errors.
void read_mbox(const std::string& path, const std::function<void(IncomingMessage&&)>& sink);
// Calls `sink` for each message of the Maildir (cur/ and new/, in name order).
void read_maildir(const std::string& path, const std::function<void(IncomingMessage&&)>& sink);

// Imports into `mailbox_id`; `batch_messages` messages (or 32 MiB) per commit.
ImportReport import_mbox(MessageIngest& ingest, int64_t mailbox_id, const std::string& path, size_t batch_messages = 1000);
ImportReport import_maildir(MessageIngest& ingest, int64_t mailbox_id, const std::string& path,
                            size_t batch_messages = 1000);

}  // namespace ximssd::mail
