#include "store/schema.hpp"

#include <array>
#include <string>

#include "store/sqlite_db.hpp"

namespace ximssd::store {

namespace {

// Each entry moves the schema one version up. Never edit a released entry: append a new one.
constexpr std::array kMigrations = {
    R"sql(
CREATE TABLE domains (
  id             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL UNIQUE COLLATE NOCASE,
  signup_allowed INTEGER NOT NULL DEFAULT 0,
  created        INTEGER NOT NULL
);
CREATE TABLE accounts (
  id               INTEGER PRIMARY KEY,
  domain_id        INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  name             TEXT NOT NULL COLLATE NOCASE,
  real_name        TEXT NOT NULL DEFAULT '',
  password_hash    TEXT NOT NULL,
  cram_md5_secret  BLOB,
  scram_sha256     TEXT,
  recovery_email   TEXT NOT NULL DEFAULT '',
  created          INTEGER NOT NULL,
  last_login_time  INTEGER,
  last_login_ip    TEXT,
  prev_login_time  INTEGER,
  prev_login_ip    TEXT,
  last_failed_time INTEGER,
  last_failed_ip   TEXT,
  UNIQUE (domain_id, name)
);
CREATE TABLE app_passwords (
  account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created       INTEGER NOT NULL,
  PRIMARY KEY (account_id, name)
);
CREATE TABLE account_settings (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (account_id, key)
);
CREATE TABLE server_settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql",
};

}  // namespace

void migrate(SqliteDb& db) {
  int64_t version = 0;
  {
    Statement st(db, "PRAGMA user_version");
    if (st.step()) version = st.int64(0);
  }
  for (size_t v = static_cast<size_t>(version); v < kMigrations.size(); ++v) {
    in_transaction(db, [&] {
      db.exec(kMigrations[v]);
      db.exec("PRAGMA user_version=" + std::to_string(v + 1));
    });
  }
}

}  // namespace ximssd::store
