// Changes other nodes made (PostgreSQL LISTEN/NOTIFY, see store/postgres/pg_change_listener.hpp)
// published to this node's ChangeHub, exactly as its own changes are: Folder Views notify,
// IMAP sessions in IDLE report EXISTS/EXPUNGE/FETCH, shared snapshots are read again.
#pragma once

#include "mail/change_hub.hpp"
#include "store/store.hpp"

namespace ximssd::mail {

// Connects the store's remote changes to `hub` for as long as the store's writer runs.
void relay_remote_changes(store::Store& store, ChangeHub& hub);

}  // namespace ximssd::mail
