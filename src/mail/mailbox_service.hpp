// Mailbox operations for a logged-in account, protocol-independent: create, rename, remove,
// list, subscriptions, aliases, rights and ACLs. Names may point into another account
// ("~user@domain/Name"); every operation then checks that account's ACL for the caller:
// a mailbox the caller may not even look up is reported as unknown, so that names cannot be
// probed; one it can see but not act on is refused with "permission denied".
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

#include "mail/acl.hpp"
#include "store/records.hpp"
#include "store/store.hpp"

namespace ximssd::mail {

// The logged-in account on whose behalf an operation runs.
struct Actor {
  int64_t account_id = 0;
  Identity identity;
};

// A mailbox name resolved for an actor.
struct MailboxRef {
  int64_t owner_id = 0;
  Identity owner;
  std::string local_name;                  // the name within the owner's account
  std::optional<store::MailboxRecord> record;  // absent when no such mailbox exists
  Rights rights = 0;                       // the actor's effective rights
  bool own = false;
  // How the actor names it: `local_name` for its own, "~user@domain/local_name" otherwise.
  std::string display_name() const { return name_of(local_name); }
  // How the actor names another mailbox of the same owner.
  std::string name_of(std::string_view local) const;
};

struct MailboxListEntry {
  std::string name;  // as the actor names it
  std::optional<store::MailboxRecord> record;  // absent for a name that only exists as a parent
  store::MailboxStats stats;
  bool pure_folder = false;  // holds no messages (or, when listing by class, is of another class)
  bool has_children = false;
  std::optional<Rights> rights;  // set for another account's mailbox
};

struct ListOptions {
  std::string filter = "*";
  std::optional<std::string> mailbox_class;  // "" = plain mail mailboxes only
  bool pure_folders = false;
};

struct AclChange {
  std::string pattern;
  std::string mode;  // "add", "sub", "clear", anything else replaces
  std::string rights;
};

class MailboxService {
 public:
  explicit MailboxService(store::Store& store) : store_(store) {}

  // Resolves `name` (own, "~user@domain/..." or an alias). Throws Failure(notFound) for an
  // unknown account, or when the actor has no right at all in that account's mailbox.
  MailboxRef resolve(const Actor& actor, std::string_view name);
  // As resolve(), and the mailbox must exist and grant `needed`.
  MailboxRef require(const Actor& actor, std::string_view name, Rights needed);

  // A trailing '/' creates a pure folder (one that only holds sub-mailboxes).
  boost::asio::awaitable<void> create(const Actor& actor, std::string name, std::string mailbox_class);
  boost::asio::awaitable<void> rename(const Actor& actor, std::string name, std::string new_name, bool children);
  boost::asio::awaitable<void> remove(const Actor& actor, std::string name, bool children);

  std::vector<MailboxListEntry> list(const Actor& actor, const ListOptions& options);
  // The mailbox (which must grant "r") and its statistics (IMAP STATUS).
  std::pair<MailboxRef, store::MailboxStats> status(const Actor& actor, std::string_view name);

  std::vector<std::string> subscriptions(const Actor& actor, std::string_view filter);
  // Each pair: the name and whether to add (true) or remove it.
  boost::asio::awaitable<void> update_subscriptions(const Actor& actor,
                                                    std::vector<std::pair<std::string, bool>> changes);

  std::vector<store::MailboxAlias> aliases(const Actor& actor);
  // Each change: alias name and its new target, or no target to remove it.
  boost::asio::awaitable<void> update_aliases(
      const Actor& actor, std::vector<std::pair<std::string, std::optional<std::string>>> changes);

  Rights rights(const Actor& actor, std::string_view name);
  std::vector<store::AclEntry> acl(const Actor& actor, std::string_view name);
  boost::asio::awaitable<void> update_acl(const Actor& actor, std::string name, std::vector<AclChange> changes);

 private:
  // The actor's rights in `mailbox`, one of `owner`'s mailboxes.
  Rights rights_in(const Actor& actor, const MailboxRef& owner, const store::MailboxRecord& mailbox);
  // Creating `ref` in another account needs the "k" right on its parent.
  void check_can_create_in(const Actor& actor, const MailboxRef& ref);
  std::vector<MailboxListEntry> list_own(const Actor& actor, const ListOptions& options);
  std::vector<MailboxListEntry> list_foreign(const Actor& actor, const ListOptions& options);

  store::Store& store_;
};

}  // namespace ximssd::mail
