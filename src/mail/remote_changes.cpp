#include "mail/remote_changes.hpp"

#include <spdlog/spdlog.h>

namespace ximssd::mail {

void relay_remote_changes(store::Store& store, ChangeHub& hub) {
  store.backend().watch_remote_changes([&store, &hub](const std::vector<int64_t>& ids, bool everything) {
    for (int64_t id : everything ? hub.known_mailboxes() : ids) {
      // The account and name reach reportMailboxChanges subscribers; a mailbox removed
      // meanwhile (or a database that cannot answer) still tells its views to look again.
      std::optional<store::MailboxRecord> mailbox;
      try {
        mailbox = store.reader().find_mailbox_by_id(id);
      } catch (const std::exception& e) {
        spdlog::warn("store: cannot read mailbox {} changed by another node: {}", id, e.what());
      }
      if (mailbox) hub.publish(id, mailbox->account_id, mailbox->name);
      else hub.publish(id, 0, "");
    }
  });
}

}  // namespace ximssd::mail
