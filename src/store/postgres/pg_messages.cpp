// Message rows: append (UID and modseq assignment), listing, flags, copies, erasure. Every write
// locks its mailbox's row first (see pg_repository.hpp), and bulk writes take their UIDs and
// modseqs in one step and write their rows in one statement: each statement is a round trip.
#include "store/postgres/pg_repository.hpp"

#include <algorithm>
#include <map>

#include "store/flag_edit.hpp"

namespace ximssd::store {

namespace {

constexpr std::string_view kMessageColumns =
    "SELECT uid, mailbox_id, flags, keywords, modseq, internal_date, size, blob_id, header_size, sent_date, "
    "subject, from_addr, to_addr, cc_addr, message_id, in_reply_to, imap_envelope, imap_body, imap_bodystructure, "
    "coalesce(orig_uid, uid), attributes FROM messages ";

MessageRecord read_message(const PgResult& r, int row) {
  MessageRecord m;
  m.uid = r.int64(row, 0);
  m.mailbox_id = r.int64(row, 1);
  m.flags = static_cast<uint32_t>(r.int64(row, 2));
  m.keywords = r.text(row, 3);
  m.modseq = r.int64(row, 4);
  m.internal_date = r.int64(row, 5);
  m.size = r.int64(row, 6);
  m.blob_id = r.text(row, 7);
  m.header.header_size = r.int64(row, 8);
  m.header.sent_date = r.optional_int64(row, 9);
  m.header.subject = r.text(row, 10);
  m.header.from = r.text(row, 11);
  m.header.to = r.text(row, 12);
  m.header.cc = r.text(row, 13);
  m.header.message_id = r.text(row, 14);
  m.header.in_reply_to = r.text(row, 15);
  m.header.imap_envelope = r.text(row, 16);
  m.header.imap_body = r.text(row, 17);
  m.header.imap_bodystructure = r.text(row, 18);
  m.orig_uid = r.int64(row, 19);
  m.attributes = r.text(row, 20);
  return m;
}

// The numbers every view needs, first in both listings below.
constexpr std::string_view kKeyColumns =
    "SELECT uid, flags, modseq, internal_date, size, sent_date, coalesce(orig_uid, uid), header_size, keywords";
constexpr int kKeyColumnCount = 9;

MessageRecord read_keys(const PgResult& r, int row, int64_t mailbox_id) {
  MessageRecord m;
  m.mailbox_id = mailbox_id;
  m.uid = r.int64(row, 0);
  m.flags = static_cast<uint32_t>(r.int64(row, 1));
  m.modseq = r.int64(row, 2);
  m.internal_date = r.int64(row, 3);
  m.size = r.int64(row, 4);
  m.header.sent_date = r.optional_int64(row, 5);
  m.orig_uid = r.int64(row, 6);
  m.header.header_size = r.int64(row, 7);
  m.keywords = r.text(row, 8);
  return m;
}

std::vector<MessageRecord> read_all_keys(const PgResult& r, int64_t mailbox_id) {
  std::vector<MessageRecord> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_keys(r, i, mailbox_id));
  return out;
}

std::vector<int64_t> sorted_unique(std::vector<int64_t> uids) {
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  return uids;
}

constexpr std::string_view kInsertColumns =
    "INSERT INTO messages(mailbox_id, uid, modseq, flags, keywords, internal_date, size, blob_id, header_size, "
    "sent_date, subject, from_addr, to_addr, cc_addr, message_id, in_reply_to, imap_envelope, imap_body, "
    "imap_bodystructure, orig_uid, attributes) ";

// $2..$19 of an append or an insert: the message's own columns.
void add_message_params(PgParams& p, const NewMessage& m) {
  p.add(int64_t{m.flags}).add(m.keywords).add(m.internal_date).add(m.size).add(m.blob_id);
  p.add(m.header.header_size).add(m.header.sent_date).add(m.header.subject).add(m.header.from).add(m.header.to);
  p.add(m.header.cc).add(m.header.message_id).add(m.header.in_reply_to).add(m.header.imap_envelope);
  p.add(m.header.imap_body).add(m.header.imap_bodystructure).add(m.orig_uid).add(m.attributes);
}

}  // namespace

bool PgRepository::lock_mailbox(int64_t mailbox_id) {
  touched_.insert(mailbox_id);
  return !db_.query("SELECT 1 FROM mailboxes WHERE id = $1 FOR UPDATE", PgParams().add(mailbox_id)).empty();
}

int64_t PgRepository::take_modseqs(int64_t mailbox_id, size_t count) {
  auto r = db_.query(
      "UPDATE mailboxes SET highest_modseq = highest_modseq + $2 WHERE id = $1 RETURNING highest_modseq - $2 + 1",
      PgParams().add(mailbox_id).add(static_cast<int64_t>(count)));
  if (r.empty()) throw Failure(ErrorCode::notFound, "the mailbox does not exist");
  return r.int64(0, 0);
}

void PgRepository::write_flags(int64_t mailbox_id, std::vector<FlagChange>& changes, bool with_keywords) {
  if (changes.empty()) return;
  int64_t first = take_modseqs(mailbox_id, changes.size());
  std::vector<int64_t> uids, flags, modseqs;
  std::vector<std::string> keywords;
  for (size_t i = 0; i < changes.size(); ++i) {
    auto& c = changes[i];
    c.modseq = first + static_cast<int64_t>(i);
    uids.push_back(c.uid);
    flags.push_back(int64_t{c.flags});
    modseqs.push_back(c.modseq);
    keywords.push_back(c.keywords);
  }
  if (with_keywords)
    db_.query(
        "UPDATE messages m SET flags = u.flags, keywords = u.keywords, modseq = u.modseq "
        "FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bigint[]) AS u(uid, flags, keywords, modseq) "
        "WHERE m.mailbox_id = $1 AND m.uid = u.uid",
        PgParams().add(mailbox_id).add_int_array(uids).add_int_array(flags).add_text_array(keywords).add_int_array(
            modseqs));
  else
    db_.query(
        "UPDATE messages m SET flags = u.flags, modseq = u.modseq "
        "FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS u(uid, flags, modseq) "
        "WHERE m.mailbox_id = $1 AND m.uid = u.uid",
        PgParams().add(mailbox_id).add_int_array(uids).add_int_array(flags).add_int_array(modseqs));
}

AppendedMessage PgRepository::append_message(const NewMessage& message) {
  // One round trip: the mailbox row's update (which locks it) and the message row together.
  touched_.insert(message.mailbox_id);
  PgParams p;
  p.add(message.mailbox_id);
  add_message_params(p, message);
  auto r = db_.query(
      "WITH m AS (UPDATE mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1 "
      "WHERE id = $1 AND NOT pure_folder RETURNING uid_next - 1 AS uid, highest_modseq AS modseq, uid_validity) " +
          std::string(kInsertColumns) +
          "SELECT $1, m.uid, m.modseq, $2::bigint, $3::text, $4::bigint, $5::bigint, $6::text, $7::bigint, $8::bigint, "
          "$9::text, $10::text, $11::text, $12::text, $13::text, $14::text, $15::text, $16::text, $17::text, "
          "$18::bigint, $19::text FROM m RETURNING uid, modseq, (SELECT uid_validity FROM m)",
      p);
  if (r.empty()) throw Failure(ErrorCode::notFound, "the mailbox does not exist or cannot hold messages");
  return AppendedMessage{r.int64(0, 0), r.int64(0, 1), r.int64(0, 2)};
}

int64_t PgRepository::move_all_messages(int64_t from_mailbox_id, int64_t to_mailbox_id) {
  lock_mailbox(from_mailbox_id);
  std::vector<int64_t> uids;
  for (const auto& m : list_message_keys(from_mailbox_id)) uids.push_back(m.uid);
  // A moved message is a new message of its new mailbox: its ORIGUID is its new UID. The old
  // ones are erased one by one, so that clients synchronising that mailbox learn they are gone.
  auto copied = copy_messages(from_mailbox_id, uids, to_mailbox_id);
  erase_messages(from_mailbox_id, uids);
  return static_cast<int64_t>(copied.size());
}

std::vector<MessageRecord> PgRepository::list_message_keys(int64_t mailbox_id) {
  return read_all_keys(
      db_.query(std::string(kKeyColumns) + " FROM messages WHERE mailbox_id = $1 ORDER BY uid", PgParams().add(mailbox_id)),
      mailbox_id);
}

std::vector<MessageRecord> PgRepository::list_message_keys_since(int64_t mailbox_id, int64_t modseq) {
  return read_all_keys(db_.query(std::string(kKeyColumns) +
                                     " FROM messages WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid",
                                 PgParams().add(mailbox_id).add(modseq)),
                       mailbox_id);
}

std::vector<MessageRecord> PgRepository::list_message_summaries(int64_t mailbox_id) {
  auto r = db_.query(std::string(kKeyColumns) +
                         ", subject, from_addr, to_addr, cc_addr, message_id, blob_id "
                         "FROM messages WHERE mailbox_id = $1 ORDER BY uid",
                     PgParams().add(mailbox_id));
  std::vector<MessageRecord> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    MessageRecord m = read_keys(r, i, mailbox_id);
    int c = kKeyColumnCount;
    m.header.subject = r.text(i, c++);
    m.header.from = r.text(i, c++);
    m.header.to = r.text(i, c++);
    m.header.cc = r.text(i, c++);
    m.header.message_id = r.text(i, c++);
    m.blob_id = r.text(i, c++);
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<MessageRecord> PgRepository::list_messages(int64_t mailbox_id) {
  auto r = db_.query(std::string(kMessageColumns) + "WHERE mailbox_id = $1 ORDER BY uid", PgParams().add(mailbox_id));
  std::vector<MessageRecord> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_message(r, i));
  return out;
}

std::optional<MessageRecord> PgRepository::find_message(int64_t mailbox_id, int64_t uid) {
  auto r = db_.query(std::string(kMessageColumns) + "WHERE mailbox_id = $1 AND uid = $2",
                     PgParams().add(mailbox_id).add(uid));
  if (r.empty()) return std::nullopt;
  return read_message(r, 0);
}

std::optional<MessageRecord> PgRepository::find_message_by_orig_uid(int64_t mailbox_id, int64_t orig_uid) {
  auto r = db_.query(std::string(kMessageColumns) +
                         "WHERE mailbox_id = $1 AND coalesce(orig_uid, uid) = $2 ORDER BY uid DESC LIMIT 1",
                     PgParams().add(mailbox_id).add(orig_uid));
  if (r.empty()) return std::nullopt;
  return read_message(r, 0);
}

void PgRepository::set_message_attributes(int64_t mailbox_id, int64_t uid, std::string_view attributes) {
  auto r = db_.query("UPDATE messages SET attributes = $1 WHERE mailbox_id = $2 AND uid = $3",
                     PgParams().add(attributes).add(mailbox_id).add(uid));
  if (r.affected() == 0) throw Failure(ErrorCode::notFound, "no message with UID " + std::to_string(uid));
}

bool PgRepository::erase_message(int64_t mailbox_id, int64_t uid) {
  return !erase_messages(mailbox_id, {uid}).empty();
}

std::vector<int64_t> PgRepository::erase_messages(int64_t mailbox_id, const std::vector<int64_t>& uids) {
  if (uids.empty() || !lock_mailbox(mailbox_id)) return {};
  auto deleted = db_.query(
      "DELETE FROM messages WHERE mailbox_id = $1 AND uid = ANY($2::bigint[]) RETURNING uid, coalesce(orig_uid, uid)",
      PgParams().add(mailbox_id).add_int_array(uids));
  if (deleted.empty()) return {};
  std::map<int64_t, int64_t> orig_of;  // uid -> ORIGUID
  std::vector<int64_t> origs_in_order;
  for (int i = 0; i < deleted.rows(); ++i) orig_of[deleted.int64(i, 0)] = deleted.int64(i, 1);
  // Each erasure takes the next modseq, in the order asked (as one message at a time would).
  std::vector<int64_t> erased;
  for (int64_t uid : uids) {
    auto it = orig_of.find(uid);
    if (it == orig_of.end() || it->second < 0) continue;
    erased.push_back(uid);
    origs_in_order.push_back(it->second);
    it->second = -1;  // each message once
  }
  int64_t first = take_modseqs(mailbox_id, erased.size());
  std::vector<int64_t> modseqs;
  for (size_t i = 0; i < erased.size(); ++i) modseqs.push_back(first + static_cast<int64_t>(i));
  db_.query(
      "INSERT INTO expunged(mailbox_id, uid, orig_uid, modseq) "
      "SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) "
      "ON CONFLICT (mailbox_id, uid) DO UPDATE SET orig_uid = excluded.orig_uid, modseq = excluded.modseq",
      PgParams().add(mailbox_id).add_int_array(erased).add_int_array(origs_in_order).add_int_array(modseqs));
  return erased;
}

std::vector<ExpungedMessage> PgRepository::expunged_since(int64_t mailbox_id, int64_t modseq) {
  auto r = db_.query("SELECT uid, orig_uid, modseq FROM expunged WHERE mailbox_id = $1 AND modseq > $2 ORDER BY modseq",
                     PgParams().add(mailbox_id).add(modseq));
  std::vector<ExpungedMessage> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(ExpungedMessage{r.int64(i, 0), r.int64(i, 1), r.int64(i, 2)});
  return out;
}

FlagStoreResult PgRepository::store_flags(int64_t mailbox_id, const std::vector<int64_t>& uids,
                                          const FlagStore& edit) {
  FlagStoreResult out;
  if (uids.empty()) return out;
  if (!lock_mailbox(mailbox_id)) throw Failure(ErrorCode::notFound, "the mailbox does not exist");
  auto rows = db_.query(
      "SELECT uid, flags, keywords, modseq FROM messages WHERE mailbox_id = $1 AND uid = ANY($2::bigint[])",
      PgParams().add(mailbox_id).add_int_array(uids));
  struct Row {
    uint32_t flags;
    std::string keywords;
    int64_t modseq;
  };
  std::map<int64_t, Row> found;
  for (int i = 0; i < rows.rows(); ++i)
    found[rows.int64(i, 0)] = Row{static_cast<uint32_t>(rows.int64(i, 1)), rows.text(i, 2), rows.int64(i, 3)};
  // In the order asked, each message at most once (as the SQLite store does, one at a time).
  for (int64_t uid : uids) {
    auto it = found.find(uid);
    if (it == found.end()) continue;
    Row row = std::move(it->second);
    found.erase(it);
    if (edit.unchanged_since && row.modseq > *edit.unchanged_since) {
      out.modified.push_back(uid);
      continue;
    }
    uint32_t after = edit_flags(row.flags, edit);
    std::string keywords_after = edit_keywords(row.keywords, edit);
    if (after == row.flags && keywords_after == row.keywords) continue;
    out.changed.push_back(FlagChange{uid, after, 0, std::move(keywords_after)});
  }
  write_flags(mailbox_id, out.changed, true);
  return out;
}

std::vector<FlagChange> PgRepository::update_flags(int64_t mailbox_id, const std::vector<int64_t>& uids, uint32_t add,
                                                   uint32_t remove) {
  // Set `add`, then clear `remove`: a replace of exactly those bits (keywords are not touched).
  FlagStore edit;
  edit.mode = FlagStore::Mode::replace;
  edit.replaced = add | remove;
  edit.flags = add & ~remove;
  std::vector<FlagChange> out;
  if (uids.empty()) return out;
  if (!lock_mailbox(mailbox_id)) throw Failure(ErrorCode::notFound, "the mailbox does not exist");
  auto rows = db_.query("SELECT uid, flags FROM messages WHERE mailbox_id = $1 AND uid = ANY($2::bigint[])",
                        PgParams().add(mailbox_id).add_int_array(uids));
  std::map<int64_t, uint32_t> found;
  for (int i = 0; i < rows.rows(); ++i) found[rows.int64(i, 0)] = static_cast<uint32_t>(rows.int64(i, 1));
  for (int64_t uid : uids) {
    auto it = found.find(uid);
    if (it == found.end()) continue;
    uint32_t before = it->second;
    found.erase(it);
    uint32_t after = edit_flags(before, edit);
    if (after != before) out.push_back(FlagChange{uid, after, 0, {}});
  }
  write_flags(mailbox_id, out, false);
  return out;
}

std::vector<CopiedMessage> PgRepository::copy_messages(int64_t from_mailbox_id, const std::vector<int64_t>& uids,
                                                       int64_t to_mailbox_id) {
  std::vector<int64_t> wanted = sorted_unique(uids);
  if (wanted.empty()) return {};
  auto present = db_.query(
      "SELECT uid FROM messages WHERE mailbox_id = $1 AND uid = ANY($2::bigint[]) ORDER BY uid",
      PgParams().add(from_mailbox_id).add_int_array(wanted));
  std::vector<int64_t> sources;
  for (int i = 0; i < present.rows(); ++i) sources.push_back(present.int64(i, 0));
  if (sources.empty()) return {};
  // The copies' UIDs and modseqs, taken at once: the i-th source (in UID order) gets base + i.
  touched_.insert(to_mailbox_id);
  auto n = static_cast<int64_t>(sources.size());
  auto bump = db_.query(
      "UPDATE mailboxes SET uid_next = uid_next + $2, highest_modseq = highest_modseq + $2 "
      "WHERE id = $1 AND NOT pure_folder RETURNING uid_next - $2, highest_modseq - $2 + 1",
      PgParams().add(to_mailbox_id).add(n));
  if (bump.empty()) throw Failure(ErrorCode::notFound, "the mailbox does not exist or cannot hold messages");
  int64_t first_uid = bump.int64(0, 0), first_modseq = bump.int64(0, 1);
  // A copy is a new message of its mailbox: its ORIGUID is its own UID there. A source another
  // node erased meanwhile is simply not copied (its UID stays unused).
  auto inserted = db_.query(
      std::string(kInsertColumns) +
          "SELECT $1, $3 + array_position($4::bigint[], uid) - 1, $5 + array_position($4::bigint[], uid) - 1, flags, "
          "keywords, internal_date, size, blob_id, header_size, sent_date, subject, from_addr, to_addr, cc_addr, "
          "message_id, in_reply_to, imap_envelope, imap_body, imap_bodystructure, NULL, attributes "
          "FROM messages WHERE mailbox_id = $2 AND uid = ANY($4::bigint[]) RETURNING uid",
      PgParams().add(to_mailbox_id).add(from_mailbox_id).add(first_uid).add_int_array(sources).add(first_modseq));
  std::vector<int64_t> new_uids;
  for (int i = 0; i < inserted.rows(); ++i) new_uids.push_back(inserted.int64(i, 0));
  std::sort(new_uids.begin(), new_uids.end());
  std::vector<CopiedMessage> out;
  for (int64_t uid : new_uids) out.push_back(CopiedMessage{sources[static_cast<size_t>(uid - first_uid)], uid});
  return out;
}

bool PgRepository::blob_referenced(std::string_view blob_id) {
  return !db_.query("SELECT 1 FROM messages WHERE blob_id = $1 LIMIT 1", PgParams().add(blob_id)).empty();
}

}  // namespace ximssd::store
