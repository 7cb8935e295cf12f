#include "store/postgres/pg_schema.hpp"

#include <array>
#include <string>

#include "base/error.hpp"
#include "store/postgres/pg_connection.hpp"

namespace ximssd::store {

namespace {

// Each entry moves the schema one version up. Never edit a released entry: append a new one.
// Names that SQLite compares with COLLATE NOCASE (domains, accounts, ACL patterns) are unique
// and looked up by lower(name). Text orders use COLLATE "C" in the queries, so they are the
// same bytewise orders as SQLite's whatever the database's collation.
constexpr std::array kMigrations = {
    R"sql(
CREATE TABLE domains (
  id             bigserial PRIMARY KEY,
  name           text NOT NULL,
  signup_allowed boolean NOT NULL DEFAULT false,
  created        bigint NOT NULL
);
CREATE UNIQUE INDEX domains_by_name ON domains (lower(name));
CREATE TABLE accounts (
  id               bigserial PRIMARY KEY,
  domain_id        bigint NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  name             text NOT NULL,
  real_name        text NOT NULL DEFAULT '',
  password_hash    text NOT NULL,
  cram_md5_secret  bytea,
  scram_sha256     text,
  recovery_email   text NOT NULL DEFAULT '',
  created          bigint NOT NULL,
  last_login_time  bigint,
  last_login_ip    text,
  prev_login_time  bigint,
  prev_login_ip    text,
  last_failed_time bigint,
  last_failed_ip   text
);
CREATE UNIQUE INDEX accounts_by_name ON accounts (domain_id, lower(name));
CREATE TABLE app_passwords (
  account_id    bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name          text NOT NULL,
  password_hash text NOT NULL,
  created       bigint NOT NULL,
  PRIMARY KEY (account_id, name)
);
CREATE TABLE account_settings (
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  key        text NOT NULL,
  value      text NOT NULL,
  PRIMARY KEY (account_id, key)
);
CREATE TABLE server_settings (
  key   text PRIMARY KEY,
  value text NOT NULL
);
CREATE TABLE mailboxes (
  id             bigserial PRIMARY KEY,
  account_id     bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name           text NOT NULL,
  class          text NOT NULL DEFAULT '',
  pure_folder    boolean NOT NULL DEFAULT false,
  uid_validity   bigint NOT NULL,
  uid_next       bigint NOT NULL DEFAULT 1,
  highest_modseq bigint NOT NULL DEFAULT 1,
  created        bigint NOT NULL,
  UNIQUE (account_id, name)
);
CREATE TABLE messages (
  mailbox_id         bigint NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid                bigint NOT NULL,
  flags              bigint NOT NULL DEFAULT 0,
  keywords           text NOT NULL DEFAULT '',
  modseq             bigint NOT NULL,
  internal_date      bigint NOT NULL,
  size               bigint NOT NULL,
  blob_id            text NOT NULL,
  header_size        bigint NOT NULL,
  sent_date          bigint,
  subject            text NOT NULL DEFAULT '',
  from_addr          text NOT NULL DEFAULT '',
  to_addr            text NOT NULL DEFAULT '',
  cc_addr            text NOT NULL DEFAULT '',
  message_id         text NOT NULL DEFAULT '',
  in_reply_to        text NOT NULL DEFAULT '',
  imap_envelope      text NOT NULL DEFAULT '',
  imap_body          text NOT NULL DEFAULT '',
  imap_bodystructure text NOT NULL DEFAULT '',
  orig_uid           bigint,
  attributes         text NOT NULL DEFAULT '',
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX messages_by_blob ON messages (blob_id);
CREATE INDEX messages_by_modseq ON messages (mailbox_id, modseq);
CREATE TABLE expunged (
  mailbox_id bigint NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid        bigint NOT NULL,
  orig_uid   bigint NOT NULL,
  modseq     bigint NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX expunged_by_modseq ON expunged (mailbox_id, modseq);
CREATE TABLE mailbox_acl (
  id         bigserial PRIMARY KEY,  -- keeps the entries in the order they were created
  mailbox_id bigint NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  pattern    text NOT NULL,
  rights     text NOT NULL
);
CREATE UNIQUE INDEX mailbox_acl_by_mailbox ON mailbox_acl (mailbox_id, lower(pattern));
CREATE INDEX mailbox_acl_by_pattern ON mailbox_acl (lower(pattern));
CREATE TABLE subscriptions (
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name       text NOT NULL,
  PRIMARY KEY (account_id, name)
);
CREATE TABLE mailbox_aliases (
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name       text NOT NULL,
  target     text NOT NULL,
  PRIMARY KEY (account_id, name)
);
)sql",
    // v2: message bodies in the database (store.blob_storage = database).
    R"sql(
CREATE TABLE blobs (
  id      text PRIMARY KEY,
  data    bytea NOT NULL,
  created bigint NOT NULL
);
ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL;
)sql",
};

constexpr int64_t kMigrationLock = 0x78696d7373;  // "ximss": the advisory lock of migrations

}  // namespace

void pg_migrate(PgConnection& db) {
  db.begin();
  try {
    db.query("SELECT pg_advisory_xact_lock($1)", PgParams().add(kMigrationLock));
    db.exec("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)");
    auto current = db.query("SELECT version FROM schema_version");
    int64_t version = current.empty() ? 0 : current.int64(0, 0);
    if (current.empty()) db.exec("INSERT INTO schema_version VALUES (0)");
    if (version > static_cast<int64_t>(kMigrations.size()))
      throw Failure(ErrorCode::internal, "the database's schema (version " + std::to_string(version) +
                                             ") is newer than this server's");
    for (size_t v = static_cast<size_t>(version); v < kMigrations.size(); ++v) db.exec(kMigrations[v]);
    db.query("UPDATE schema_version SET version = $1", PgParams().add(static_cast<int64_t>(kMigrations.size())));
    db.commit();
  } catch (...) {
    db.rollback();
    throw;
  }
}

}  // namespace ximssd::store
