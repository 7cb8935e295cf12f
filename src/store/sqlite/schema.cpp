#include "store/sqlite/schema.hpp"

#include <array>
#include <string>

#include "store/sqlite/sqlite_db.hpp"

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
    // v2: the mail store. Every existing account gets its INBOX.
    R"sql(
CREATE TABLE mailboxes (
  id             INTEGER PRIMARY KEY,
  account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  class          TEXT NOT NULL DEFAULT '',
  pure_folder    INTEGER NOT NULL DEFAULT 0,
  uid_validity   INTEGER NOT NULL,
  uid_next       INTEGER NOT NULL DEFAULT 1,
  highest_modseq INTEGER NOT NULL DEFAULT 1,
  created        INTEGER NOT NULL,
  UNIQUE (account_id, name)
);
CREATE TABLE messages (
  id            INTEGER PRIMARY KEY,
  mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid           INTEGER NOT NULL,
  flags         INTEGER NOT NULL DEFAULT 0,
  keywords      TEXT NOT NULL DEFAULT '',
  modseq        INTEGER NOT NULL,
  internal_date INTEGER NOT NULL,
  size          INTEGER NOT NULL,
  blob_id       TEXT NOT NULL,
  header_size   INTEGER NOT NULL,
  sent_date     INTEGER,
  subject       TEXT NOT NULL DEFAULT '',
  from_addr     TEXT NOT NULL DEFAULT '',
  to_addr       TEXT NOT NULL DEFAULT '',
  cc_addr       TEXT NOT NULL DEFAULT '',
  message_id    TEXT NOT NULL DEFAULT '',
  in_reply_to   TEXT NOT NULL DEFAULT '',
  UNIQUE (mailbox_id, uid)
);
CREATE INDEX messages_by_blob ON messages(blob_id);
CREATE TABLE mailbox_acl (
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  pattern    TEXT NOT NULL COLLATE NOCASE,
  rights     TEXT NOT NULL,
  PRIMARY KEY (mailbox_id, pattern)
);
CREATE INDEX mailbox_acl_by_pattern ON mailbox_acl(pattern);
CREATE TABLE subscriptions (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  PRIMARY KEY (account_id, name)
);
CREATE TABLE mailbox_aliases (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  target     TEXT NOT NULL,
  PRIMARY KEY (account_id, name)
);
INSERT INTO mailboxes(account_id, name, uid_validity, created)
  SELECT id, 'INBOX', CAST(strftime('%s') AS INTEGER), CAST(strftime('%s') AS INTEGER) FROM accounts;
)sql",
    // v3: the IMAP ENVELOPE, computed at append ('' for messages stored before: computed on use).
    R"sql(
ALTER TABLE messages ADD COLUMN imap_envelope TEXT NOT NULL DEFAULT '';
)sql",
    // v4: IMAP BODY and BODYSTRUCTURE computed at append ('' for older messages: computed on use),
    // the original UID of a message that replaced another (NULL = its own UID), and the message's
    // attribute dictionary (messageAttrRead/Write; XIMSS XML dictionary text, '' = none).
    R"sql(
ALTER TABLE messages ADD COLUMN imap_body TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN imap_bodystructure TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN orig_uid INTEGER;
ALTER TABLE messages ADD COLUMN attributes TEXT NOT NULL DEFAULT '';
)sql",
    // v5: erased messages, each with the modseq of its erasure, so that a client can learn what
    // was removed since it last synchronised (mailboxSync; IMAP QRESYNC).
    R"sql(
CREATE TABLE expunged (
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid        INTEGER NOT NULL,
  orig_uid   INTEGER NOT NULL,
  modseq     INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX expunged_by_modseq ON expunged(mailbox_id, modseq);
)sql",
    // v6: what every Folder View reads first, as a covering index: a large mailbox's numbers are
    // read without touching the table's rows, which also hold the IMAP structures.
    R"sql(
CREATE INDEX messages_keys ON messages(mailbox_id, uid, flags, modseq, internal_date, size, sent_date, orig_uid,
                                       header_size);
)sql",
    // v7: the cached text fields too (what sorting, filtering and searching by them read): a
    // view's texts are read from the index, not from rows that also hold the IMAP structures.
    R"sql(
CREATE INDEX messages_summaries ON messages(mailbox_id, uid, flags, keywords, modseq, internal_date, size, sent_date,
                                            subject, from_addr, to_addr, cc_addr, message_id, orig_uid, header_size,
                                            blob_id);
)sql",
    // v8: keywords join the numbers every view reads first (IMAP reports them with the flags;
    // nearly always empty, they cost the index almost nothing), and the messages changed since a
    // modseq are found by an index (IMAP sessions follow a mailbox by its changes, not by rereading it).
    R"sql(
DROP INDEX messages_keys;
CREATE INDEX messages_keys ON messages(mailbox_id, uid, flags, keywords, modseq, internal_date, size, sent_date,
                                       orig_uid, header_size);
CREATE INDEX messages_by_modseq ON messages(mailbox_id, modseq);
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
