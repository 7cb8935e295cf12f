#include "mail/mbox_import.hpp"

#include "mail/mbox_reader.hpp"

namespace ximssd::mail {

namespace {
template <class Reader>
ImportReport import_with(MessageIngest& ingest, int64_t mailbox_id, const std::string& path, size_t batch_messages,
                         Reader reader) {
  constexpr size_t kBatchBytes = 32u << 20;
  ImportReport report;
  std::vector<IncomingMessage> batch;
  size_t batch_bytes = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    ingest.append_batch_now(mailbox_id, batch);
    batch.clear();
    batch_bytes = 0;
  };
  reader(path, [&](IncomingMessage&& m) {
    ++report.messages;
    report.bytes += static_cast<int64_t>(m.bytes.size());
    batch_bytes += m.bytes.size();
    batch.push_back(std::move(m));
    if (batch.size() >= batch_messages || batch_bytes >= kBatchBytes) flush();
  });
  flush();
  return report;
}
}  // namespace

ImportReport import_mbox(MessageIngest& ingest, int64_t mailbox_id, const std::string& path, size_t batch_messages) {
  return import_with(ingest, mailbox_id, path, batch_messages,
                     [](const std::string& p, const std::function<void(IncomingMessage&&)>& sink) { read_mbox(p, sink); });
}

ImportReport import_maildir(MessageIngest& ingest, int64_t mailbox_id, const std::string& path, size_t batch_messages) {
  return import_with(ingest, mailbox_id, path, batch_messages, read_maildir);
}

}  // namespace ximssd::mail
