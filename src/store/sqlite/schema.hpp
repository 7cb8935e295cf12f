// The metadata schema and its migrations, keyed by PRAGMA user_version.
#pragma once

namespace ximssd::store {

class SqliteDb;
// Brings the database to the newest schema version; safe to call on every start.
void migrate(SqliteDb& db);

}  // namespace ximssd::store
