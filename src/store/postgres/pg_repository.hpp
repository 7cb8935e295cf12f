// The PostgreSQL implementation of Repository: one connection, its prepared statements, and the
// SQL for every record. The methods live in pg_accounts.cpp, pg_mailboxes.cpp and pg_messages.cpp.
//
// Several nodes write at once, so every write that changes a mailbox's messages first locks
// the mailbox's row (lock_mailbox): UIDs and modseqs are taken in commit order, and a
// read-then-write of flags cannot lose another node's change. The mailboxes such writes touched
// are remembered until the transaction ends, for the change notification (NOTIFY) the writer
// sends with the commit.
#pragma once

#include <set>
#include <string>

#include "store/repository.hpp"
#include "store/postgres/pg_connection.hpp"

namespace ximssd::store {

class PgRepository final : public Repository {
 public:
  explicit PgRepository(const std::string& conninfo) : db_(conninfo) {}
  PgConnection& db() { return db_; }
  // The mailboxes whose messages the current transaction changed; cleared by the caller.
  std::set<int64_t>& touched() { return touched_; }

  std::optional<DomainRecord> find_domain(std::string_view name) override;
  std::vector<DomainRecord> list_domains() override;
  int64_t insert_domain(std::string_view name, bool signup_allowed) override;
  bool delete_domain(std::string_view name) override;

  std::optional<AccountRecord> find_account(std::string_view name, std::string_view domain) override;
  std::optional<AccountRecord> find_account_by_id(int64_t id) override;
  std::vector<AccountRecord> list_accounts(std::string_view domain) override;
  int64_t insert_account(int64_t domain_id, std::string_view name, std::string_view real_name,
                         const StoredSecrets& secrets, std::string_view recovery_email, int64_t now) override;
  bool delete_account(int64_t id) override;
  void set_secrets(int64_t id, const StoredSecrets& secrets) override;
  void set_recovery_email(int64_t id, std::string_view email) override;
  void record_login(int64_t id, int64_t now, std::string_view ip) override;
  void record_failed_login(int64_t id, int64_t now, std::string_view ip) override;
  std::vector<AppPassword> list_app_passwords(int64_t account_id) override;
  void upsert_app_password(int64_t account_id, std::string_view name, std::string_view hash, int64_t now) override;
  bool delete_app_password(int64_t account_id, std::string_view name) override;
  std::optional<std::string> account_setting(int64_t account_id, std::string_view key) override;
  void set_account_setting(int64_t account_id, std::string_view key, std::string_view value) override;
  std::optional<std::string> server_setting(std::string_view key) override;
  void set_server_setting(std::string_view key, std::string_view value) override;

  std::optional<MailboxRecord> find_mailbox(int64_t account_id, std::string_view name) override;
  std::optional<MailboxRecord> find_mailbox_by_id(int64_t id) override;
  std::vector<MailboxRecord> list_mailboxes(int64_t account_id) override;
  MailboxStats mailbox_stats(int64_t mailbox_id) override;
  int64_t next_uid_validity(int64_t now) override;
  int64_t insert_mailbox(int64_t account_id, std::string_view name, std::string_view mailbox_class,
                         bool pure_folder, int64_t uid_validity) override;
  void rename_mailbox(int64_t mailbox_id, std::string_view new_name) override;
  void set_pure_folder(int64_t mailbox_id, bool pure_folder) override;
  void delete_mailbox(int64_t mailbox_id) override;
  void delete_messages(int64_t mailbox_id) override;
  int64_t move_all_messages(int64_t from_mailbox_id, int64_t to_mailbox_id) override;

  std::vector<AclEntry> mailbox_acl(int64_t mailbox_id) override;
  void set_acl_entry(int64_t mailbox_id, std::string_view pattern, std::string_view rights) override;
  void delete_acl_entry(int64_t mailbox_id, std::string_view pattern) override;
  std::vector<MailboxRecord> mailboxes_with_acl_patterns(const std::vector<std::string>& patterns) override;

  std::vector<std::string> subscriptions(int64_t account_id) override;
  void add_subscription(int64_t account_id, std::string_view name) override;
  void remove_subscription(int64_t account_id, std::string_view name) override;
  std::vector<MailboxAlias> aliases(int64_t account_id) override;
  void set_alias(int64_t account_id, std::string_view name, std::string_view target) override;
  void remove_alias(int64_t account_id, std::string_view name) override;

  AppendedMessage append_message(const NewMessage& message) override;
  std::vector<MessageRecord> list_messages(int64_t mailbox_id) override;
  std::vector<MessageRecord> list_message_summaries(int64_t mailbox_id) override;
  std::vector<MessageRecord> list_message_keys_since(int64_t mailbox_id, int64_t modseq) override;
  std::vector<MessageRecord> list_message_keys(int64_t mailbox_id) override;
  std::optional<MessageRecord> find_message(int64_t mailbox_id, int64_t uid) override;
  std::optional<MessageRecord> find_message_by_orig_uid(int64_t mailbox_id, int64_t orig_uid) override;
  void set_message_attributes(int64_t mailbox_id, int64_t uid, std::string_view attributes) override;
  bool erase_message(int64_t mailbox_id, int64_t uid) override;
  std::vector<ExpungedMessage> expunged_since(int64_t mailbox_id, int64_t modseq) override;
  std::vector<FlagChange> update_flags(int64_t mailbox_id, const std::vector<int64_t>& uids, uint32_t add,
                                       uint32_t remove) override;
  FlagStoreResult store_flags(int64_t mailbox_id, const std::vector<int64_t>& uids, const FlagStore& edit) override;
  std::vector<CopiedMessage> copy_messages(int64_t from_mailbox_id, const std::vector<int64_t>& uids,
                                           int64_t to_mailbox_id) override;
  std::vector<int64_t> erase_messages(int64_t mailbox_id, const std::vector<int64_t>& uids) override;
  bool blob_referenced(std::string_view blob_id) override;

 private:
  // Locks the mailbox's row until the transaction ends; false when there is no such mailbox.
  bool lock_mailbox(int64_t mailbox_id);
  // Takes the mailbox's next `count` modseqs and returns the first.
  int64_t take_modseqs(int64_t mailbox_id, size_t count);
  // Writes `changes` (flags, and keywords when `with_keywords`), each with the next modseq in
  // order, which it sets.
  void write_flags(int64_t mailbox_id, std::vector<FlagChange>& changes, bool with_keywords);

  PgConnection db_;
  std::set<int64_t> touched_;
};

}  // namespace ximssd::store
