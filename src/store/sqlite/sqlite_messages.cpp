// Message rows: append (UID and modseq assignment), listing, and blob references.
#include "store/sqlite/sqlite_repository.hpp"

#include <algorithm>
#include <cctype>

#include "base/error.hpp"
#include "store/flag_edit.hpp"

namespace ximssd::store {

namespace {

constexpr std::string_view kMessageColumns =
    "SELECT uid, mailbox_id, flags, keywords, modseq, internal_date, size, blob_id, header_size, sent_date, "
    "subject, from_addr, to_addr, cc_addr, message_id, in_reply_to, imap_envelope, imap_body, imap_bodystructure, "
    "coalesce(orig_uid, uid), attributes FROM messages ";

MessageRecord read_message(const Statement& st) {
  MessageRecord m;
  m.uid = st.int64(0);
  m.mailbox_id = st.int64(1);
  m.flags = static_cast<uint32_t>(st.int64(2));
  m.keywords = st.text(3);
  m.modseq = st.int64(4);
  m.internal_date = st.int64(5);
  m.size = st.int64(6);
  m.blob_id = st.text(7);
  m.header.header_size = st.int64(8);
  if (!st.is_null(9)) m.header.sent_date = st.int64(9);
  m.header.subject = st.text(10);
  m.header.from = st.text(11);
  m.header.to = st.text(12);
  m.header.cc = st.text(13);
  m.header.message_id = st.text(14);
  m.header.in_reply_to = st.text(15);
  m.header.imap_envelope = st.text(16);
  m.header.imap_body = st.text(17);
  m.header.imap_bodystructure = st.text(18);
  m.orig_uid = st.int64(19);
  m.attributes = st.text(20);
  return m;
}

void insert_row(SqliteDb& db, int64_t mailbox_id, int64_t uid, int64_t modseq, const NewMessage& m) {
  Statement st(db,
               "INSERT INTO messages(mailbox_id, uid, flags, keywords, modseq, internal_date, size, blob_id, "
               "header_size, sent_date, subject, from_addr, to_addr, cc_addr, message_id, in_reply_to, imap_envelope, "
               "imap_body, imap_bodystructure, orig_uid, attributes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  st.bind(1, mailbox_id).bind(2, uid).bind(3, int64_t{m.flags}).bind(4, m.keywords).bind(5, modseq);
  st.bind(6, m.internal_date).bind(7, m.size).bind(8, m.blob_id).bind(9, m.header.header_size);
  if (m.header.sent_date) st.bind(10, *m.header.sent_date);
  else st.bind_null(10);
  st.bind(11, m.header.subject).bind(12, m.header.from).bind(13, m.header.to).bind(14, m.header.cc);
  st.bind(15, m.header.message_id).bind(16, m.header.in_reply_to).bind(17, m.header.imap_envelope);
  st.bind(18, m.header.imap_body).bind(19, m.header.imap_bodystructure);
  if (m.orig_uid) st.bind(20, *m.orig_uid);
  else st.bind_null(20);
  st.bind(21, m.attributes);
  st.run();
}

// Takes the mailbox's next UID and modseq in the current transaction.
AppendedMessage take_uid(SqliteDb& db, int64_t mailbox_id) {
  Statement st(db,
               "UPDATE mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1 "
               "WHERE id = ? AND pure_folder = 0 RETURNING uid_next - 1, highest_modseq, uid_validity");
  st.bind(1, mailbox_id);
  if (!st.step()) throw Failure(ErrorCode::notFound, "the mailbox does not exist or cannot hold messages");
  AppendedMessage out{st.int64(0), st.int64(1), st.int64(2)};
  st.run();
  return out;
}

}  // namespace

AppendedMessage SqliteRepository::append_message(const NewMessage& message) {
  auto appended = take_uid(db_, message.mailbox_id);
  insert_row(db_, message.mailbox_id, appended.uid, appended.modseq, message);
  return appended;
}

int64_t SqliteRepository::move_all_messages(int64_t from_mailbox_id, int64_t to_mailbox_id) {
  auto messages = list_messages(from_mailbox_id);
  for (const auto& m : messages) {
    // A moved message is a new message of its new mailbox: its ORIGUID is its new UID.
    NewMessage copy{to_mailbox_id, m.blob_id, m.size, m.internal_date, m.flags, m.keywords, m.header, std::nullopt,
                    m.attributes};
    auto appended = take_uid(db_, to_mailbox_id);
    insert_row(db_, to_mailbox_id, appended.uid, appended.modseq, copy);
  }
  // Erased one by one, so that clients synchronising the old mailbox learn they are gone.
  for (const auto& m : messages) erase_message(from_mailbox_id, m.uid);
  return static_cast<int64_t>(messages.size());
}

namespace {

// The numbers every view needs, first in both listings below (the messages_keys and
// messages_summaries covering indexes answer them without reading the table's rows).
constexpr std::string_view kKeyColumns =
    "SELECT uid, flags, modseq, internal_date, size, sent_date, coalesce(orig_uid, uid), header_size, keywords";
constexpr int kKeyColumnCount = 9;

MessageRecord read_keys(const Statement& st, int64_t mailbox_id) {
  MessageRecord m;
  m.mailbox_id = mailbox_id;
  m.uid = st.int64(0);
  m.flags = static_cast<uint32_t>(st.int64(1));
  m.modseq = st.int64(2);
  m.internal_date = st.int64(3);
  m.size = st.int64(4);
  if (!st.is_null(5)) m.header.sent_date = st.int64(5);
  m.orig_uid = st.int64(6);
  m.header.header_size = st.int64(7);
  m.keywords = st.text(8);
  return m;
}

}  // namespace

std::vector<MessageRecord> SqliteRepository::list_message_keys(int64_t mailbox_id) {
  Statement st(db_, std::string(kKeyColumns) + " FROM messages WHERE mailbox_id = ? ORDER BY uid");
  st.bind(1, mailbox_id);
  std::vector<MessageRecord> out;
  while (st.step()) out.push_back(read_keys(st, mailbox_id));
  return out;
}

std::vector<MessageRecord> SqliteRepository::list_message_keys_since(int64_t mailbox_id, int64_t modseq) {
  Statement st(db_, std::string(kKeyColumns) +
                        " FROM messages INDEXED BY messages_by_modseq WHERE mailbox_id = ? AND modseq > ? ORDER BY uid");
  st.bind(1, mailbox_id).bind(2, modseq);
  std::vector<MessageRecord> out;
  while (st.step()) out.push_back(read_keys(st, mailbox_id));
  return out;
}

std::vector<MessageRecord> SqliteRepository::list_message_summaries(int64_t mailbox_id) {
  Statement st(db_, std::string(kKeyColumns) +
                        ", subject, from_addr, to_addr, cc_addr, message_id, blob_id "
                        "FROM messages WHERE mailbox_id = ? ORDER BY uid");
  st.bind(1, mailbox_id);
  std::vector<MessageRecord> out;
  while (st.step()) {
    MessageRecord m = read_keys(st, mailbox_id);
    int c = kKeyColumnCount;
    m.header.subject = st.text(c++);
    m.header.from = st.text(c++);
    m.header.to = st.text(c++);
    m.header.cc = st.text(c++);
    m.header.message_id = st.text(c++);
    m.blob_id = st.text(c++);
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<MessageRecord> SqliteRepository::list_messages(int64_t mailbox_id) {
  Statement st(db_, std::string(kMessageColumns) + "WHERE mailbox_id = ? ORDER BY uid");
  st.bind(1, mailbox_id);
  std::vector<MessageRecord> out;
  while (st.step()) out.push_back(read_message(st));
  return out;
}

std::optional<MessageRecord> SqliteRepository::find_message(int64_t mailbox_id, int64_t uid) {
  Statement st(db_, std::string(kMessageColumns) + "WHERE mailbox_id = ? AND uid = ?");
  st.bind(1, mailbox_id).bind(2, uid);
  if (!st.step()) return std::nullopt;
  return read_message(st);
}

std::optional<MessageRecord> SqliteRepository::find_message_by_orig_uid(int64_t mailbox_id, int64_t orig_uid) {
  Statement st(db_, std::string(kMessageColumns) +
                        "WHERE mailbox_id = ? AND coalesce(orig_uid, uid) = ? ORDER BY uid DESC LIMIT 1");
  st.bind(1, mailbox_id).bind(2, orig_uid);
  if (!st.step()) return std::nullopt;
  return read_message(st);
}

void SqliteRepository::set_message_attributes(int64_t mailbox_id, int64_t uid, std::string_view attributes) {
  Statement st(db_, "UPDATE messages SET attributes = ? WHERE mailbox_id = ? AND uid = ?");
  st.bind(1, attributes).bind(2, mailbox_id).bind(3, uid);
  st.run();
  if (db_.changes() == 0) throw Failure(ErrorCode::notFound, "no message with UID " + std::to_string(uid));
}

bool SqliteRepository::erase_message(int64_t mailbox_id, int64_t uid) {
  Statement st(db_, "DELETE FROM messages WHERE mailbox_id = ? AND uid = ? RETURNING coalesce(orig_uid, uid)");
  st.bind(1, mailbox_id).bind(2, uid);
  if (!st.step()) return false;
  int64_t orig_uid = st.int64(0);
  st.run();
  Statement bump(db_, "UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ? RETURNING highest_modseq");
  bump.bind(1, mailbox_id);
  if (!bump.step()) return true;
  int64_t modseq = bump.int64(0);
  bump.run();
  Statement tomb(db_, "INSERT OR REPLACE INTO expunged(mailbox_id, uid, orig_uid, modseq) VALUES (?,?,?,?)");
  tomb.bind(1, mailbox_id).bind(2, uid).bind(3, orig_uid).bind(4, modseq);
  tomb.run();
  return true;
}

std::vector<ExpungedMessage> SqliteRepository::expunged_since(int64_t mailbox_id, int64_t modseq) {
  Statement st(db_, "SELECT uid, orig_uid, modseq FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY modseq");
  st.bind(1, mailbox_id).bind(2, modseq);
  std::vector<ExpungedMessage> out;
  while (st.step()) out.push_back(ExpungedMessage{st.int64(0), st.int64(1), st.int64(2)});
  return out;
}

std::vector<FlagChange> SqliteRepository::update_flags(int64_t mailbox_id, const std::vector<int64_t>& uids,
                                                      uint32_t add, uint32_t remove) {
  std::vector<FlagChange> out;
  for (int64_t uid : uids) {
    Statement read(db_, "SELECT flags FROM messages WHERE mailbox_id = ? AND uid = ?");
    read.bind(1, mailbox_id).bind(2, uid);
    if (!read.step()) continue;
    uint32_t before = static_cast<uint32_t>(read.int64(0));
    read.run();
    uint32_t after = (before | add) & ~remove;
    if (after == before) continue;
    Statement bump(db_, "UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ? RETURNING highest_modseq");
    bump.bind(1, mailbox_id);
    if (!bump.step()) throw Failure(ErrorCode::notFound, "the mailbox does not exist");
    int64_t modseq = bump.int64(0);
    bump.run();
    Statement write(db_, "UPDATE messages SET flags = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?");
    write.bind(1, int64_t{after}).bind(2, modseq).bind(3, mailbox_id).bind(4, uid);
    write.run();
    out.push_back(FlagChange{uid, after, modseq});
  }
  return out;
}


FlagStoreResult SqliteRepository::store_flags(int64_t mailbox_id, const std::vector<int64_t>& uids,
                                              const FlagStore& edit) {
  FlagStoreResult out;
  for (int64_t uid : uids) {
    Statement read(db_, "SELECT flags, keywords, modseq FROM messages WHERE mailbox_id = ? AND uid = ?");
    read.bind(1, mailbox_id).bind(2, uid);
    if (!read.step()) continue;
    uint32_t before = static_cast<uint32_t>(read.int64(0));
    std::string keywords_before = read.text(1);
    int64_t modseq_before = read.int64(2);
    read.run();
    if (edit.unchanged_since && modseq_before > *edit.unchanged_since) {
      out.modified.push_back(uid);
      continue;
    }
    uint32_t after = edit_flags(before, edit);
    std::string keywords_after = edit_keywords(keywords_before, edit);
    if (after == before && keywords_after == keywords_before) continue;
    Statement bump(db_, "UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ? RETURNING highest_modseq");
    bump.bind(1, mailbox_id);
    if (!bump.step()) throw Failure(ErrorCode::notFound, "the mailbox does not exist");
    int64_t modseq = bump.int64(0);
    bump.run();
    Statement write(db_, "UPDATE messages SET flags = ?, keywords = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?");
    write.bind(1, int64_t{after}).bind(2, keywords_after).bind(3, modseq).bind(4, mailbox_id).bind(5, uid);
    write.run();
    out.changed.push_back(FlagChange{uid, after, modseq, std::move(keywords_after)});
  }
  return out;
}

std::vector<CopiedMessage> SqliteRepository::copy_messages(int64_t from_mailbox_id, const std::vector<int64_t>& uids,
                                                           int64_t to_mailbox_id) {
  std::vector<int64_t> sorted = uids;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<CopiedMessage> out;
  for (int64_t uid : sorted) {
    auto m = find_message(from_mailbox_id, uid);
    if (!m) continue;
    // A copy is a new message of its mailbox: its ORIGUID is its own UID there.
    NewMessage copy{to_mailbox_id, m->blob_id, m->size, m->internal_date, m->flags, m->keywords, m->header,
                    std::nullopt, m->attributes};
    auto appended = take_uid(db_, to_mailbox_id);
    insert_row(db_, to_mailbox_id, appended.uid, appended.modseq, copy);
    out.push_back(CopiedMessage{uid, appended.uid});
  }
  return out;
}

std::vector<int64_t> SqliteRepository::erase_messages(int64_t mailbox_id, const std::vector<int64_t>& uids) {
  std::vector<int64_t> erased;
  for (int64_t uid : uids)
    if (erase_message(mailbox_id, uid)) erased.push_back(uid);
  return erased;
}

bool SqliteRepository::blob_referenced(std::string_view blob_id) {
  Statement st(db_, "SELECT 1 FROM messages WHERE blob_id = ? LIMIT 1");
  st.bind(1, blob_id);
  return st.step();
}

}  // namespace ximssd::store
