// The rows the store keeps: plain values, independent of the backend that stores them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ximssd::store {

struct DomainRecord {
  int64_t id = 0;
  std::string name;
  bool signup_allowed = false;
};

struct LoginMark {
  int64_t time = 0;  // seconds since the epoch
  std::string ip;
};

struct AccountRecord {
  int64_t id = 0;
  int64_t domain_id = 0;
  std::string name;
  std::string domain;
  std::string real_name;
  std::string password_hash;    // argon2id, libsodium's encoded form
  std::string cram_md5_secret;  // 32 bytes, see mail/credentials.hpp
  std::string scram_sha256;     // "iterations:salt:storedkey:serverkey", see mail/credentials.hpp
  std::string recovery_email;
  std::optional<LoginMark> last_login, prev_login, last_failed;

  std::string address() const { return name + "@" + domain; }
};

struct StoredSecrets {
  std::string password_hash, cram_md5_secret, scram_sha256;
};

struct AppPassword {
  std::string name;
  std::string password_hash;
  int64_t created = 0;
};

// A mailbox of one account. Names are '/'-separated paths; "INBOX" is spelled in capitals.
struct MailboxRecord {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string name;
  std::string mailbox_class;  // "" is a plain mail mailbox
  bool pure_folder = false;   // holds only sub-mailboxes, never messages
  int64_t uid_validity = 0;
  int64_t uid_next = 1;
  int64_t highest_modseq = 1;
};

// Aggregates over a mailbox's messages, for mailboxList and IMAP STATUS.
struct MailboxStats {
  int64_t messages = 0;
  int64_t unseen = 0;
  int64_t size = 0;
  int64_t media = 0;
  int64_t unseen_media = 0;
  std::optional<int64_t> oldest;  // internal date of the oldest message
};

// One entry of a mailbox's access control list, in the order the entries were created.
struct AclEntry {
  std::string pattern;  // "user", "user@domain", "anyone", "-user", ...
  std::string rights;   // RFC 4314 letters, as given
};

struct MailboxAlias {
  std::string name;    // the alias
  std::string target;  // the mailbox it stands for, e.g. "~bob@example.dom/Shared"
};

// The fields cached from a message's header at append, so that listing, sorting and searching
// do not read the blob.
struct CachedHeader {
  int64_t header_size = 0;  // bytes up to and including the blank line
  std::optional<int64_t> sent_date;
  std::string subject, from, to, cc, message_id, in_reply_to;
  std::string imap_envelope;       // RFC 3501 ENVELOPE, in IMAP syntax
  std::string imap_body;           // RFC 3501 BODY (no extension data)
  std::string imap_bodystructure;  // RFC 3501 BODYSTRUCTURE
};

struct NewMessage {
  int64_t mailbox_id = 0;
  std::string blob_id;
  int64_t size = 0;
  int64_t internal_date = 0;
  uint32_t flags = 0;     // mail/message_flags.hpp
  std::string keywords;   // space-separated
  CachedHeader header;
  // Set when the message replaces an erased one whose original UID it keeps (XIMSS ORIGUID).
  std::optional<int64_t> orig_uid;
  std::string attributes;  // XIMSS XML dictionary text, "" = no attributes
};

struct MessageRecord {
  int64_t uid = 0;
  int64_t mailbox_id = 0;
  uint32_t flags = 0;
  std::string keywords;
  int64_t modseq = 0;
  int64_t internal_date = 0;
  int64_t size = 0;
  std::string blob_id;
  CachedHeader header;
  int64_t orig_uid = 0;    // XIMSS ORIGUID: the UID, unless the message replaced an erased one
  std::string attributes;  // XIMSS XML dictionary text, "" = no attributes
};

// A message whose flags a write changed, as they are now.
struct FlagChange {
  int64_t uid = 0;
  uint32_t flags = 0;
  int64_t modseq = 0;
  std::string keywords;  // space-separated, as stored
};

// IMAP STORE: system flags (bits) and keywords set, added or removed together, optionally only
// on messages not changed since a modseq (RFC 7162 UNCHANGEDSINCE).
struct FlagStore {
  enum class Mode { add, remove, replace } mode = Mode::add;
  uint32_t flags = 0;
  uint32_t replaced = ~0u;  // Mode::replace: the bits it governs (the others stay as they are)
  std::vector<std::string> keywords;
  std::optional<int64_t> unchanged_since;
};

struct FlagStoreResult {
  std::vector<FlagChange> changed;  // messages whose flags or keywords changed, in UID order
  std::vector<int64_t> modified;    // messages left alone: changed after unchanged_since
};

// A message copied into another mailbox: its UID there.
struct CopiedMessage {
  int64_t source_uid = 0;
  int64_t uid = 0;
};

// A message erased from a mailbox, and the modseq its erasure took.
struct ExpungedMessage {
  int64_t uid = 0;
  int64_t orig_uid = 0;
  int64_t modseq = 0;
};

struct AppendedMessage {
  int64_t uid = 0;
  int64_t modseq = 0;
  int64_t uid_validity = 0;
};

}  // namespace ximssd::store
