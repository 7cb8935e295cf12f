// Importing mail folders (read by mail/mbox_reader.hpp): the messages go to MessageIngest in
// batches, one durable commit per batch.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "mail/message_ingest.hpp"
#include "mail/mbox_reader.hpp"

namespace ximssd::mail {

struct ImportReport {
  int64_t messages = 0;
  int64_t bytes = 0;
  int64_t skipped = 0;  // empty entries
};

// Imports into `mailbox_id`; `batch_messages` messages (or 32 MiB) per commit.
ImportReport import_mbox(MessageIngest& ingest, int64_t mailbox_id, const std::string& path, size_t batch_messages = 1000);
ImportReport import_maildir(MessageIngest& ingest, int64_t mailbox_id, const std::string& path,
                            size_t batch_messages = 1000);

}  // namespace ximssd::mail
