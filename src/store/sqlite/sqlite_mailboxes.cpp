// Mailboxes, their access control lists, subscriptions and aliases.
#include "store/sqlite/sqlite_repository.hpp"

namespace ximssd::store {

namespace {

constexpr std::string_view kMailboxColumns =
    "SELECT id, account_id, name, class, pure_folder, uid_validity, uid_next, highest_modseq FROM mailboxes ";

MailboxRecord read_mailbox(const Statement& st) {
  MailboxRecord m;
  m.id = st.int64(0);
  m.account_id = st.int64(1);
  m.name = st.text(2);
  m.mailbox_class = st.text(3);
  m.pure_folder = st.int64(4) != 0;
  m.uid_validity = st.int64(5);
  m.uid_next = st.int64(6);
  m.highest_modseq = st.int64(7);
  return m;
}

}  // namespace

std::optional<MailboxRecord> SqliteRepository::find_mailbox(int64_t account_id, std::string_view name) {
  Statement st(db_, std::string(kMailboxColumns) + "WHERE account_id = ? AND name = ?");
  st.bind(1, account_id).bind(2, name);
  if (!st.step()) return std::nullopt;
  return read_mailbox(st);
}

std::optional<MailboxRecord> SqliteRepository::find_mailbox_by_id(int64_t id) {
  Statement st(db_, std::string(kMailboxColumns) + "WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_mailbox(st);
}

std::vector<MailboxRecord> SqliteRepository::list_mailboxes(int64_t account_id) {
  Statement st(db_, std::string(kMailboxColumns) + "WHERE account_id = ? ORDER BY name");
  st.bind(1, account_id);
  std::vector<MailboxRecord> out;
  while (st.step()) out.push_back(read_mailbox(st));
  return out;
}

MailboxStats SqliteRepository::mailbox_stats(int64_t mailbox_id) {
  // Flag bits: Seen = 1, Media = 32 (mail/message_flags.hpp).
  Statement st(db_,
               "SELECT count(*), coalesce(sum((flags & 1) = 0), 0), coalesce(sum(size), 0), "
               "coalesce(sum((flags & 32) != 0), 0), coalesce(sum((flags & 33) = 32), 0), min(internal_date) "
               "FROM messages WHERE mailbox_id = ?");
  st.bind(1, mailbox_id);
  MailboxStats stats;
  if (st.step()) {
    stats.messages = st.int64(0);
    stats.unseen = st.int64(1);
    stats.size = st.int64(2);
    stats.media = st.int64(3);
    stats.unseen_media = st.int64(4);
    if (!st.is_null(5)) stats.oldest = st.int64(5);
  }
  return stats;
}

int64_t SqliteRepository::next_uid_validity(int64_t now) {
  // Strictly increasing across the server, so that a mailbox removed and created again under
  // the same name never shows a client its old UIDVALIDITY.
  int64_t last = 0;
  if (auto v = server_setting("last_uid_validity")) last = std::stoll(*v);
  int64_t next = std::max(now, last + 1);
  set_server_setting("last_uid_validity", std::to_string(next));
  return next;
}

int64_t SqliteRepository::insert_mailbox(int64_t account_id, std::string_view name, std::string_view mailbox_class,
                                         bool pure_folder, int64_t uid_validity) {
  Statement st(db_,
               "INSERT INTO mailboxes(account_id, name, class, pure_folder, uid_validity, created) "
               "VALUES (?, ?, ?, ?, ?, CAST(strftime('%s') AS INTEGER))");
  st.bind(1, account_id).bind(2, name).bind(3, mailbox_class).bind(4, int64_t{pure_folder}).bind(5, uid_validity);
  st.run();
  return db_.last_insert_id();
}

void SqliteRepository::rename_mailbox(int64_t mailbox_id, std::string_view new_name) {
  Statement st(db_, "UPDATE mailboxes SET name = ? WHERE id = ?");
  st.bind(1, new_name).bind(2, mailbox_id).run();
}

void SqliteRepository::set_pure_folder(int64_t mailbox_id, bool pure_folder) {
  Statement st(db_, "UPDATE mailboxes SET pure_folder = ? WHERE id = ?");
  st.bind(1, int64_t{pure_folder}).bind(2, mailbox_id).run();
}

void SqliteRepository::delete_mailbox(int64_t mailbox_id) {
  Statement st(db_, "DELETE FROM mailboxes WHERE id = ?");
  st.bind(1, mailbox_id).run();
}

void SqliteRepository::delete_messages(int64_t mailbox_id) {
  Statement st(db_, "DELETE FROM messages WHERE mailbox_id = ?");
  st.bind(1, mailbox_id).run();
}

std::vector<AclEntry> SqliteRepository::mailbox_acl(int64_t mailbox_id) {
  Statement st(db_, "SELECT pattern, rights FROM mailbox_acl WHERE mailbox_id = ? ORDER BY rowid");
  st.bind(1, mailbox_id);
  std::vector<AclEntry> out;
  while (st.step()) out.push_back(AclEntry{st.text(0), st.text(1)});
  return out;
}

void SqliteRepository::set_acl_entry(int64_t mailbox_id, std::string_view pattern, std::string_view rights) {
  Statement st(db_,
               "INSERT INTO mailbox_acl(mailbox_id, pattern, rights) VALUES (?, ?, ?) "
               "ON CONFLICT(mailbox_id, pattern) DO UPDATE SET rights = excluded.rights");
  st.bind(1, mailbox_id).bind(2, pattern).bind(3, rights).run();
}

void SqliteRepository::delete_acl_entry(int64_t mailbox_id, std::string_view pattern) {
  Statement st(db_, "DELETE FROM mailbox_acl WHERE mailbox_id = ? AND pattern = ?");
  st.bind(1, mailbox_id).bind(2, pattern).run();
}

std::vector<MailboxRecord> SqliteRepository::mailboxes_with_acl_patterns(const std::vector<std::string>& patterns) {
  std::vector<MailboxRecord> out;
  if (patterns.empty()) return out;
  std::string sql =
      "SELECT m.id, m.account_id, m.name, m.class, m.pure_folder, m.uid_validity, m.uid_next, m.highest_modseq "
      "FROM mailboxes m WHERE m.id IN (SELECT mailbox_id FROM mailbox_acl WHERE pattern IN (";
  for (size_t i = 0; i < patterns.size(); ++i) sql += i ? ",?" : "?";
  sql += ")) ORDER BY m.account_id, m.name";
  Statement st(db_, sql);
  for (size_t i = 0; i < patterns.size(); ++i) st.bind(static_cast<int>(i + 1), patterns[i]);
  while (st.step()) out.push_back(read_mailbox(st));
  return out;
}

std::vector<std::string> SqliteRepository::subscriptions(int64_t account_id) {
  Statement st(db_, "SELECT name FROM subscriptions WHERE account_id = ? ORDER BY name");
  st.bind(1, account_id);
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.text(0));
  return out;
}

void SqliteRepository::add_subscription(int64_t account_id, std::string_view name) {
  Statement st(db_, "INSERT OR IGNORE INTO subscriptions(account_id, name) VALUES (?, ?)");
  st.bind(1, account_id).bind(2, name).run();
}

void SqliteRepository::remove_subscription(int64_t account_id, std::string_view name) {
  Statement st(db_, "DELETE FROM subscriptions WHERE account_id = ? AND name = ?");
  st.bind(1, account_id).bind(2, name).run();
}

std::vector<MailboxAlias> SqliteRepository::aliases(int64_t account_id) {
  Statement st(db_, "SELECT name, target FROM mailbox_aliases WHERE account_id = ? ORDER BY name");
  st.bind(1, account_id);
  std::vector<MailboxAlias> out;
  while (st.step()) out.push_back(MailboxAlias{st.text(0), st.text(1)});
  return out;
}

void SqliteRepository::set_alias(int64_t account_id, std::string_view name, std::string_view target) {
  Statement st(db_,
               "INSERT INTO mailbox_aliases(account_id, name, target) VALUES (?, ?, ?) "
               "ON CONFLICT(account_id, name) DO UPDATE SET target = excluded.target");
  st.bind(1, account_id).bind(2, name).bind(3, target).run();
}

void SqliteRepository::remove_alias(int64_t account_id, std::string_view name) {
  Statement st(db_, "DELETE FROM mailbox_aliases WHERE account_id = ? AND name = ?");
  st.bind(1, account_id).bind(2, name).run();
}

}  // namespace ximssd::store
