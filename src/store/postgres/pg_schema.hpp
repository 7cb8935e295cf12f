// The PostgreSQL schema: the same tables as the SQLite store, created and migrated at start.
#pragma once

namespace ximssd::store {

class PgConnection;

// Brings the database's schema to the current version. Several nodes starting at once
// serialise on an advisory lock, so each migration runs once.
void pg_migrate(PgConnection& db);

}  // namespace ximssd::store
