// The store's one interface: every read and write of the metadata, as a backend implements it.
// A Repository is one connection's view; writes made through it belong to the transaction the
// Store runs them in (see store/store.hpp). SQL, and any dialect difference, stays inside the
// backend: the domain layer (mail/) only ever sees this interface and the records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.hpp"

namespace ximssd::store {

class Repository {
 public:
  virtual ~Repository() = default;

  // --- domains
  virtual std::optional<DomainRecord> find_domain(std::string_view name) = 0;
  virtual std::vector<DomainRecord> list_domains() = 0;
  virtual int64_t insert_domain(std::string_view name, bool signup_allowed) = 0;
  virtual bool delete_domain(std::string_view name) = 0;

  // --- accounts
  virtual std::optional<AccountRecord> find_account(std::string_view name, std::string_view domain) = 0;
  virtual std::optional<AccountRecord> find_account_by_id(int64_t id) = 0;
  virtual std::vector<AccountRecord> list_accounts(std::string_view domain) = 0;  // "" = all
  virtual int64_t insert_account(int64_t domain_id, std::string_view name, std::string_view real_name,
                                 const StoredSecrets& secrets, std::string_view recovery_email,
                                 int64_t now) = 0;
  virtual bool delete_account(int64_t id) = 0;
  virtual void set_secrets(int64_t id, const StoredSecrets& secrets) = 0;
  virtual void set_recovery_email(int64_t id, std::string_view email) = 0;
  // The current "last login" becomes the "previous login".
  virtual void record_login(int64_t id, int64_t now, std::string_view ip) = 0;
  virtual void record_failed_login(int64_t id, int64_t now, std::string_view ip) = 0;

  virtual std::vector<AppPassword> list_app_passwords(int64_t account_id) = 0;
  virtual void upsert_app_password(int64_t account_id, std::string_view name, std::string_view hash,
                                   int64_t now) = 0;
  virtual bool delete_app_password(int64_t account_id, std::string_view name) = 0;

  virtual std::optional<std::string> account_setting(int64_t account_id, std::string_view key) = 0;
  virtual void set_account_setting(int64_t account_id, std::string_view key, std::string_view value) = 0;
  virtual std::optional<std::string> server_setting(std::string_view key) = 0;
  virtual void set_server_setting(std::string_view key, std::string_view value) = 0;

  // --- mailboxes
  virtual std::optional<MailboxRecord> find_mailbox(int64_t account_id, std::string_view name) = 0;
  virtual std::optional<MailboxRecord> find_mailbox_by_id(int64_t id) = 0;
  virtual std::vector<MailboxRecord> list_mailboxes(int64_t account_id) = 0;  // ordered by name
  virtual MailboxStats mailbox_stats(int64_t mailbox_id) = 0;
  // A UIDVALIDITY never handed out before on this server (strictly increasing).
  virtual int64_t next_uid_validity(int64_t now) = 0;
  virtual int64_t insert_mailbox(int64_t account_id, std::string_view name, std::string_view mailbox_class,
                                 bool pure_folder, int64_t uid_validity) = 0;
  virtual void rename_mailbox(int64_t mailbox_id, std::string_view new_name) = 0;
  virtual void set_pure_folder(int64_t mailbox_id, bool pure_folder) = 0;
  // Removes the mailbox with its messages and ACL.
  virtual void delete_mailbox(int64_t mailbox_id) = 0;
  virtual void delete_messages(int64_t mailbox_id) = 0;
  // Moves every message of `from` into `to` (new UIDs in `to`, in UID order); returns the count.
  virtual int64_t move_all_messages(int64_t from_mailbox_id, int64_t to_mailbox_id) = 0;

  // --- access control lists
  virtual std::vector<AclEntry> mailbox_acl(int64_t mailbox_id) = 0;
  virtual void set_acl_entry(int64_t mailbox_id, std::string_view pattern, std::string_view rights) = 0;
  virtual void delete_acl_entry(int64_t mailbox_id, std::string_view pattern) = 0;
  // Mailboxes of other accounts whose ACL names one of `patterns` (candidates only: the caller
  // computes the effective rights).
  virtual std::vector<MailboxRecord> mailboxes_with_acl_patterns(const std::vector<std::string>& patterns) = 0;

  // --- subscriptions and aliases
  virtual std::vector<std::string> subscriptions(int64_t account_id) = 0;
  virtual void add_subscription(int64_t account_id, std::string_view name) = 0;
  virtual void remove_subscription(int64_t account_id, std::string_view name) = 0;
  virtual std::vector<MailboxAlias> aliases(int64_t account_id) = 0;
  virtual void set_alias(int64_t account_id, std::string_view name, std::string_view target) = 0;
  virtual void remove_alias(int64_t account_id, std::string_view name) = 0;

  // --- messages
  // Assigns the next UID and modseq of the mailbox.
  virtual AppendedMessage append_message(const NewMessage& message) = 0;
  virtual std::vector<MessageRecord> list_messages(int64_t mailbox_id) = 0;  // in UID order
  // As list_messages, without what views never need (the IMAP ENVELOPE, BODY, BODYSTRUCTURE,
  // In-Reply-To and the attributes are left empty): a large mailbox loads in a fraction.
  virtual std::vector<MessageRecord> list_message_summaries(int64_t mailbox_id) = 0;
  // Only the numbers of each message (UID, flags, modseq, dates, size, ORIGUID, header size),
  // in UID order: what every view needs, read from an index alone.
  virtual std::vector<MessageRecord> list_message_keys(int64_t mailbox_id) = 0;
  // As list_message_keys, only the messages whose modseq is above `modseq` (changed or added since).
  virtual std::vector<MessageRecord> list_message_keys_since(int64_t mailbox_id, int64_t modseq) = 0;
  virtual std::optional<MessageRecord> find_message(int64_t mailbox_id, int64_t uid) = 0;
  // The message whose ORIGUID is `orig_uid` (the newest, should there be several).
  virtual std::optional<MessageRecord> find_message_by_orig_uid(int64_t mailbox_id, int64_t orig_uid) = 0;
  virtual void set_message_attributes(int64_t mailbox_id, int64_t uid, std::string_view attributes) = 0;
  // Erases one message (its body stays until garbage collection); false when there was none.
  // The erasure takes the mailbox's next modseq and is remembered (expunged_since).
  virtual bool erase_message(int64_t mailbox_id, int64_t uid) = 0;
  // The messages erased with a modseq above `modseq`, in modseq order.
  virtual std::vector<ExpungedMessage> expunged_since(int64_t mailbox_id, int64_t modseq) = 0;
  // Sets the `add` bits and clears the `remove` bits of the messages `uids`; each message whose
  // flags change takes the mailbox's next modseq. Returns those messages (in UID order).
  virtual std::vector<FlagChange> update_flags(int64_t mailbox_id, const std::vector<int64_t>& uids, uint32_t add,
                                               uint32_t remove) = 0;
  // Applies `edit` to the messages `uids` (those that exist); each message whose flags or
  // keywords change takes the mailbox's next modseq.
  virtual FlagStoreResult store_flags(int64_t mailbox_id, const std::vector<int64_t>& uids, const FlagStore& edit) = 0;
  // Copies the messages `uids` (those that exist, in UID order) into `to_mailbox_id` with new
  // UIDs there, sharing their bodies.
  virtual std::vector<CopiedMessage> copy_messages(int64_t from_mailbox_id, const std::vector<int64_t>& uids,
                                                   int64_t to_mailbox_id) = 0;
  // Erases the messages `uids` (those that exist), each as erase_message does. Returns the
  // UIDs erased.
  virtual std::vector<int64_t> erase_messages(int64_t mailbox_id, const std::vector<int64_t>& uids) = 0;
  virtual bool blob_referenced(std::string_view blob_id) = 0;
};

}  // namespace ximssd::store
