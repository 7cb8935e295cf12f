// Mailboxes, their access control lists, subscriptions and aliases.
#include "store/postgres/pg_repository.hpp"

#include <algorithm>
#include <cctype>

namespace ximssd::store {

namespace {

constexpr std::string_view kMailboxColumns =
    "SELECT id, account_id, name, class, pure_folder, uid_validity, uid_next, highest_modseq FROM mailboxes ";

MailboxRecord read_mailbox(const PgResult& r, int row) {
  MailboxRecord m;
  m.id = r.int64(row, 0);
  m.account_id = r.int64(row, 1);
  m.name = r.text(row, 2);
  m.mailbox_class = r.text(row, 3);
  m.pure_folder = r.boolean(row, 4);
  m.uid_validity = r.int64(row, 5);
  m.uid_next = r.int64(row, 6);
  m.highest_modseq = r.int64(row, 7);
  return m;
}

std::vector<MailboxRecord> read_mailboxes(const PgResult& r) {
  std::vector<MailboxRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_mailbox(r, i));
  return out;
}

const char* boolean_text(bool value) { return value ? "true" : "false"; }

}  // namespace

std::optional<MailboxRecord> PgRepository::find_mailbox(int64_t account_id, std::string_view name) {
  auto r = db_.query(std::string(kMailboxColumns) + "WHERE account_id = $1 AND name = $2",
                     PgParams().add(account_id).add(name));
  if (r.empty()) return std::nullopt;
  return read_mailbox(r, 0);
}

std::optional<MailboxRecord> PgRepository::find_mailbox_by_id(int64_t id) {
  auto r = db_.query(std::string(kMailboxColumns) + "WHERE id = $1", PgParams().add(id));
  if (r.empty()) return std::nullopt;
  return read_mailbox(r, 0);
}

std::vector<MailboxRecord> PgRepository::list_mailboxes(int64_t account_id) {
  return read_mailboxes(db_.query(std::string(kMailboxColumns) + "WHERE account_id = $1 ORDER BY name COLLATE \"C\"",
                                  PgParams().add(account_id)));
}

MailboxStats PgRepository::mailbox_stats(int64_t mailbox_id) {
  // Flag bits: Seen = 1, Media = 32 (mail/message_flags.hpp).
  auto r = db_.query(
      "SELECT count(*), count(*) FILTER (WHERE flags & 1 = 0), coalesce(sum(size), 0), "
      "count(*) FILTER (WHERE flags & 32 <> 0), count(*) FILTER (WHERE flags & 33 = 32), min(internal_date) "
      "FROM messages WHERE mailbox_id = $1",
      PgParams().add(mailbox_id));
  MailboxStats stats;
  if (!r.empty()) {
    stats.messages = r.int64(0, 0);
    stats.unseen = r.int64(0, 1);
    stats.size = r.int64(0, 2);
    stats.media = r.int64(0, 3);
    stats.unseen_media = r.int64(0, 4);
    stats.oldest = r.optional_int64(0, 5);
  }
  return stats;
}

int64_t PgRepository::next_uid_validity(int64_t now) {
  // Strictly increasing across the server (every node), so that a mailbox removed and created
  // again under the same name never shows a client its old UIDVALIDITY. One statement: the
  // row's lock orders nodes that create mailboxes at the same time.
  auto r = db_.query(
      "INSERT INTO server_settings(key, value) VALUES ('last_uid_validity', $1) "
      "ON CONFLICT (key) DO UPDATE SET value = greatest(server_settings.value::bigint + 1, $1::bigint)::text "
      "RETURNING value",
      PgParams().add(now));
  return std::stoll(r.text(0, 0));
}

int64_t PgRepository::insert_mailbox(int64_t account_id, std::string_view name, std::string_view mailbox_class,
                                     bool pure_folder, int64_t uid_validity) {
  auto r = db_.query(
      "INSERT INTO mailboxes(account_id, name, class, pure_folder, uid_validity, created) "
      "VALUES ($1, $2, $3, $4, $5, extract(epoch FROM now())::bigint) ON CONFLICT DO NOTHING RETURNING id",
      PgParams().add(account_id).add(name).add(mailbox_class).add(boolean_text(pure_folder)).add(uid_validity));
  if (r.empty()) throw Failure(ErrorCode::alreadyExists, "the mailbox already exists");
  return r.int64(0, 0);
}

void PgRepository::rename_mailbox(int64_t mailbox_id, std::string_view new_name) {
  // Checked in the statement, so that a taken name does not abort the transaction.
  auto r = db_.query(
      "UPDATE mailboxes m SET name = $2 WHERE id = $1 AND NOT EXISTS "
      "(SELECT 1 FROM mailboxes o WHERE o.account_id = m.account_id AND o.name = $2 AND o.id <> m.id)",
      PgParams().add(mailbox_id).add(new_name));
  if (r.affected() == 0 && find_mailbox_by_id(mailbox_id))
    throw Failure(ErrorCode::alreadyExists, "a mailbox with that name already exists");
}

void PgRepository::set_pure_folder(int64_t mailbox_id, bool pure_folder) {
  db_.query("UPDATE mailboxes SET pure_folder = $1 WHERE id = $2",
            PgParams().add(boolean_text(pure_folder)).add(mailbox_id));
}

void PgRepository::delete_mailbox(int64_t mailbox_id) {
  touched_.insert(mailbox_id);
  db_.query("DELETE FROM mailboxes WHERE id = $1", PgParams().add(mailbox_id));
}

void PgRepository::delete_messages(int64_t mailbox_id) {
  lock_mailbox(mailbox_id);
  db_.query("DELETE FROM messages WHERE mailbox_id = $1", PgParams().add(mailbox_id));
}

std::vector<AclEntry> PgRepository::mailbox_acl(int64_t mailbox_id) {
  auto r = db_.query("SELECT pattern, rights FROM mailbox_acl WHERE mailbox_id = $1 ORDER BY id",
                     PgParams().add(mailbox_id));
  std::vector<AclEntry> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(AclEntry{r.text(i, 0), r.text(i, 1)});
  return out;
}

void PgRepository::set_acl_entry(int64_t mailbox_id, std::string_view pattern, std::string_view rights) {
  db_.query(
      "INSERT INTO mailbox_acl(mailbox_id, pattern, rights) VALUES ($1, $2, $3) "
      "ON CONFLICT (mailbox_id, lower(pattern)) DO UPDATE SET rights = excluded.rights",
      PgParams().add(mailbox_id).add(pattern).add(rights));
}

void PgRepository::delete_acl_entry(int64_t mailbox_id, std::string_view pattern) {
  db_.query("DELETE FROM mailbox_acl WHERE mailbox_id = $1 AND lower(pattern) = lower($2)",
            PgParams().add(mailbox_id).add(pattern));
}

std::vector<MailboxRecord> PgRepository::mailboxes_with_acl_patterns(const std::vector<std::string>& patterns) {
  if (patterns.empty()) return {};
  std::vector<std::string> lowered;
  for (const auto& p : patterns) {
    std::string l = p;
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
    lowered.push_back(std::move(l));
  }
  return read_mailboxes(db_.query(
      std::string(kMailboxColumns) +
          "WHERE id IN (SELECT mailbox_id FROM mailbox_acl WHERE lower(pattern) = ANY($1::text[])) "
          "ORDER BY account_id, name COLLATE \"C\"",
      PgParams().add_text_array(lowered)));
}

std::vector<std::string> PgRepository::subscriptions(int64_t account_id) {
  auto r = db_.query("SELECT name FROM subscriptions WHERE account_id = $1 ORDER BY name COLLATE \"C\"",
                     PgParams().add(account_id));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
  return out;
}

void PgRepository::add_subscription(int64_t account_id, std::string_view name) {
  db_.query("INSERT INTO subscriptions(account_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            PgParams().add(account_id).add(name));
}

void PgRepository::remove_subscription(int64_t account_id, std::string_view name) {
  db_.query("DELETE FROM subscriptions WHERE account_id = $1 AND name = $2", PgParams().add(account_id).add(name));
}

std::vector<MailboxAlias> PgRepository::aliases(int64_t account_id) {
  auto r = db_.query("SELECT name, target FROM mailbox_aliases WHERE account_id = $1 ORDER BY name COLLATE \"C\"",
                     PgParams().add(account_id));
  std::vector<MailboxAlias> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(MailboxAlias{r.text(i, 0), r.text(i, 1)});
  return out;
}

void PgRepository::set_alias(int64_t account_id, std::string_view name, std::string_view target) {
  db_.query(
      "INSERT INTO mailbox_aliases(account_id, name, target) VALUES ($1, $2, $3) "
      "ON CONFLICT (account_id, name) DO UPDATE SET target = excluded.target",
      PgParams().add(account_id).add(name).add(target));
}

void PgRepository::remove_alias(int64_t account_id, std::string_view name) {
  db_.query("DELETE FROM mailbox_aliases WHERE account_id = $1 AND name = $2", PgParams().add(account_id).add(name));
}

}  // namespace ximssd::store
