#include "mail/mailbox_service.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "base/error.hpp"
#include "base/text.hpp"
#include "base/time_format.hpp"
#include "mail/mailbox_name.hpp"

namespace ximssd::mail {

using boost::asio::awaitable;
using store::Repository;

namespace {


[[noreturn]] void unknown_mailbox(std::string_view name) {
  throw Failure(ErrorCode::notFound, "unknown mailbox: " + std::string(name));
}

void check_mailbox_class(std::string_view mailbox_class) {
  if (mailbox_class.size() > 128 || !is_valid_utf8(mailbox_class))
    throw Failure(ErrorCode::badRequest, "mailbox class must be UTF-8 of at most 128 bytes");
  for (char c : mailbox_class)
    if (static_cast<unsigned char>(c) < 0x20) throw Failure(ErrorCode::badRequest, "mailbox class has a control character");
}

// A name as stored in subscriptions and alias targets: one of the actor's own names, or
// another account's ("~user@domain/Name"), checked for shape only.
std::string checked_reference_name(std::string_view name) {
  if (auto foreign = split_foreign_name(name)) {
    if (foreign->account.empty() || foreign->mailbox.empty())
      throw Failure(ErrorCode::badRequest, "invalid mailbox name: " + std::string(name));
    std::string local = canonical_mailbox_name(foreign->mailbox);
    return "~" + foreign->account + (foreign->domain.empty() ? "" : "@" + foreign->domain) + "/" + local;
  }
  return canonical_mailbox_name(name);
}

}  // namespace

std::string MailboxRef::name_of(std::string_view local) const {
  if (own) return std::string(local);
  return "~" + owner.name + "@" + owner.domain + "/" + std::string(local);
}

namespace {
// The rule every check follows: no right at all reads as an unknown mailbox (names cannot be
// probed), some right but not the needed one as "permission denied".
void check_rights(Rights rights, bool exists, Rights needed, std::string_view name) {
  if (!exists || rights == 0) unknown_mailbox(name);
  if ((rights & needed) != needed)
    throw Failure(ErrorCode::permissionDenied, "no access rights for this operation on " + std::string(name));
}
}  // namespace

Rights MailboxService::rights_in(const Actor& actor, const MailboxRef& owner, const store::MailboxRecord& mailbox) {
  return owner.own ? right::all : effective_rights(actor.identity, owner.owner, store_.reader().mailbox_acl(mailbox.id));
}

MailboxRef MailboxService::resolve(const Actor& actor, std::string_view name) {
  auto& db = store_.reader();
  MailboxRef ref;
  if (auto foreign = split_foreign_name(name)) {
    std::string domain = foreign->domain.empty() ? actor.identity.domain : foreign->domain;
    auto owner = db.find_account(foreign->account, domain);
    if (!owner) unknown_mailbox(name);
    if (foreign->mailbox.empty()) throw Failure(ErrorCode::badRequest, "no mailbox name after the account: " + std::string(name));
    ref.owner_id = owner->id;
    ref.owner = Identity{owner->name, owner->domain};
    ref.own = owner->id == actor.account_id;
    ref.local_name = canonical_mailbox_name(foreign->mailbox);
  } else {
    ref.owner_id = actor.account_id;
    ref.owner = actor.identity;
    ref.own = true;
    ref.local_name = canonical_mailbox_name(name);
  }
  ref.record = db.find_mailbox(ref.owner_id, ref.local_name);
  if (!ref.record && ref.own) {
    // A mailbox alias stands for its target (one level: an alias of an alias is not followed).
    for (auto& alias : db.aliases(actor.account_id)) {
      if (alias.name != ref.local_name) continue;
      if (alias.target == name) break;
      auto target = resolve(actor, alias.target);
      if (target.record) return target;
      break;
    }
  }
  ref.rights = ref.record ? rights_in(actor, ref, *ref.record) : (ref.own ? right::all : 0);
  return ref;
}

MailboxRef MailboxService::require(const Actor& actor, std::string_view name, Rights needed) {
  auto ref = resolve(actor, name);
  check_rights(ref.rights, ref.record.has_value(), needed, name);
  return ref;
}

void MailboxService::check_can_create_in(const Actor& actor, const MailboxRef& ref) {
  if (ref.own) return;
  std::string parent = parent_mailbox_name(ref.local_name);
  if (parent.empty())
    throw Failure(ErrorCode::permissionDenied, "cannot create a top-level mailbox in another account");
  auto record = store_.reader().find_mailbox(ref.owner_id, parent);
  check_rights(record ? rights_in(actor, ref, *record) : 0, record.has_value(), right::create, ref.name_of(parent));
}

awaitable<void> MailboxService::create(const Actor& actor, std::string name, std::string mailbox_class) {
  bool pure_folder = name.size() > 1 && name.back() == '/';
  if (pure_folder) name.pop_back();
  check_mailbox_class(mailbox_class);
  auto ref = resolve(actor, name);
  if (ref.record) throw Failure(ErrorCode::alreadyExists, "mailbox already exists: " + name);
  check_can_create_in(actor, ref);
  int64_t now = now_epoch_seconds();
  co_await store_.write<int>([&](Repository& db) {
    if (db.find_mailbox(ref.owner_id, ref.local_name)) throw Failure(ErrorCode::alreadyExists, "mailbox already exists: " + name);
    db.insert_mailbox(ref.owner_id, ref.local_name, mailbox_class, pure_folder, db.next_uid_validity(now));
    return 0;
  });
}

awaitable<void> MailboxService::rename(const Actor& actor, std::string name, std::string new_name, bool children) {
  auto source = require(actor, name, right::delete_box);
  auto target = resolve(actor, new_name);
  if (target.owner_id != source.owner_id)
    throw Failure(ErrorCode::badRequest, "a mailbox can be renamed only within its account");
  if (target.record) throw Failure(ErrorCode::alreadyExists, "mailbox already exists: " + new_name);
  if (is_same_or_below(target.local_name, source.local_name))
    throw Failure(ErrorCode::badRequest, "cannot rename a mailbox into itself");
  check_can_create_in(actor, target);
  bool inbox = source.local_name == "INBOX";
  if (!source.own && children) {
    for (auto& m : store_.reader().list_mailboxes(source.owner_id))
      if (m.name != source.local_name && is_same_or_below(m.name, source.local_name))
        check_rights(rights_in(actor, source, m), true, right::delete_box, source.name_of(m.name));
  }
  int64_t now = now_epoch_seconds();
  co_await store_.write<int>([&](Repository& db) {
    auto current = db.find_mailbox(source.owner_id, source.local_name);
    if (!current) unknown_mailbox(name);
    if (inbox) {
      // RFC 3501: renaming INBOX moves its messages to the new name and leaves INBOX empty.
      int64_t id = db.insert_mailbox(source.owner_id, target.local_name, current->mailbox_class, false,
                                     db.next_uid_validity(now));
      db.move_all_messages(current->id, id);
      return 0;
    }
    std::vector<std::pair<int64_t, std::string>> moves{{current->id, target.local_name}};
    if (children)
      for (auto& m : db.list_mailboxes(source.owner_id))
        if (m.id != current->id && is_same_or_below(m.name, source.local_name))
          moves.emplace_back(m.id, target.local_name + m.name.substr(source.local_name.size()));
    for (auto& [id, to] : moves)
      if (db.find_mailbox(source.owner_id, to)) throw Failure(ErrorCode::alreadyExists, "mailbox already exists: " + to);
    for (auto& [id, to] : moves) db.rename_mailbox(id, to);
    return 0;
  });
}

awaitable<void> MailboxService::remove(const Actor& actor, std::string name, bool children) {
  auto ref = require(actor, name, right::delete_box);
  if (ref.local_name == "INBOX") throw Failure(ErrorCode::permissionDenied, "INBOX cannot be removed");
  std::vector<store::MailboxRecord> below;
  for (auto& m : store_.reader().list_mailboxes(ref.owner_id))
    if (m.id != ref.record->id && is_same_or_below(m.name, ref.local_name)) below.push_back(m);
  if (children && !ref.own)
    for (auto& m : below) check_rights(rights_in(actor, ref, m), true, right::delete_box, ref.name_of(m.name));
  if (!children && !below.empty() && ref.record->pure_folder)
    throw Failure(ErrorCode::badRequest, "the folder has sub-mailboxes: remove them first, or use children");
  co_await store_.write<int>([&](Repository& db) {
    if (children) {
      for (auto& m : below) db.delete_mailbox(m.id);
      db.delete_mailbox(ref.record->id);
    } else if (!below.empty()) {
      // As IMAP DELETE: the messages go, the name stays as a folder for its sub-mailboxes.
      db.delete_messages(ref.record->id);
      db.set_pure_folder(ref.record->id, true);
    } else {
      db.delete_mailbox(ref.record->id);
    }
    return 0;
  });
}

std::pair<MailboxRef, store::MailboxStats> MailboxService::status(const Actor& actor, std::string_view name) {
  auto ref = require(actor, name, right::read);
  auto stats = store_.reader().mailbox_stats(ref.record->id);
  return {std::move(ref), stats};
}

namespace {
// Matching is O(pattern x name); a filter is a short pattern, not a document.
void check_filter(std::string_view filter) {
  if (filter.size() > 1024) throw Failure(ErrorCode::badRequest, "filter is longer than 1024 bytes");
}
}  // namespace

std::vector<MailboxListEntry> MailboxService::list(const Actor& actor, const ListOptions& options) {
  check_filter(options.filter);
  if (!options.filter.empty() && options.filter.front() == '~') return list_foreign(actor, options);
  return list_own(actor, options);
}

namespace {

// Applies the class filter and the pure-folder option, fills statistics, and drops what the
// options leave out.
void finish_entry(Repository& db, const ListOptions& options, MailboxListEntry& entry) {
  if (entry.record && options.mailbox_class && entry.record->mailbox_class != *options.mailbox_class)
    entry.pure_folder = true;  // a mailbox of another class shows only as part of the hierarchy
  if (entry.record && !entry.pure_folder) entry.stats = db.mailbox_stats(entry.record->id);
}

}  // namespace

std::vector<MailboxListEntry> MailboxService::list_own(const Actor& actor, const ListOptions& options) {
  auto& db = store_.reader();
  std::map<std::string, MailboxListEntry> entries;
  for (auto& m : db.list_mailboxes(actor.account_id)) {
    MailboxListEntry e;
    e.name = m.name;
    e.pure_folder = m.pure_folder;
    e.record = m;
    entries[m.name] = std::move(e);
  }
  for (auto& alias : db.aliases(actor.account_id)) {
    if (entries.count(alias.name)) continue;
    try {
      auto target = resolve(actor, alias.target);
      if (!target.record || !(target.rights & right::lookup)) continue;
      MailboxListEntry e;
      e.name = alias.name;
      e.record = target.record;
      e.pure_folder = target.record->pure_folder;
      if (!target.own) e.rights = target.rights;
      entries[alias.name] = std::move(e);
    } catch (const Failure&) {
      // an alias whose target is gone is not listed
    }
  }
  // Names that exist only as parents of other mailboxes are folders of the hierarchy.
  std::vector<std::string> names;
  for (auto& [name, e] : entries) names.push_back(name);
  for (auto& name : names) {
    for (std::string parent = parent_mailbox_name(name); !parent.empty(); parent = parent_mailbox_name(parent)) {
      entries[parent].has_children = true;
      if (entries[parent].name.empty()) {
        entries[parent].name = parent;
        entries[parent].pure_folder = true;
      }
    }
  }
  std::vector<MailboxListEntry> out;
  for (auto& [name, e] : entries) {
    if (!mailbox_pattern_matches(options.filter, name)) continue;
    finish_entry(db, options, e);
    if (e.pure_folder && !options.pure_folders) continue;
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<MailboxListEntry> MailboxService::list_foreign(const Actor& actor, const ListOptions& options) {
  auto& db = store_.reader();
  // "~bob/*" means "~bob@<the actor's domain>/*".
  std::string filter = options.filter;
  size_t slash = filter.find('/');
  std::string account_part = filter.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
  if (account_part.find('@') == std::string::npos && account_part.find_first_of("*%") == std::string::npos)
    filter.insert(1 + account_part.size(), "@" + actor.identity.domain);

  std::map<int64_t, Identity> owners;
  std::vector<MailboxListEntry> out;
  for (auto& m : db.mailboxes_with_acl_patterns(acl_patterns_for(actor.identity))) {
    if (m.account_id == actor.account_id) continue;
    auto it = owners.find(m.account_id);
    if (it == owners.end()) {
      auto owner = db.find_account_by_id(m.account_id);
      if (!owner) continue;
      it = owners.emplace(m.account_id, Identity{owner->name, owner->domain}).first;
    }
    Rights rights = effective_rights(actor.identity, it->second, db.mailbox_acl(m.id));
    if (!(rights & right::lookup)) continue;
    MailboxListEntry e;
    e.name = "~" + it->second.name + "@" + it->second.domain + "/" + m.name;
    if (!mailbox_pattern_matches(filter, e.name)) continue;
    e.pure_folder = m.pure_folder;
    e.rights = rights;
    e.record = m;
    finish_entry(db, options, e);
    if (e.pure_folder && !options.pure_folders) continue;
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::string> MailboxService::subscriptions(const Actor& actor, std::string_view filter) {
  check_filter(filter);
  std::vector<std::string> out;
  for (auto& name : store_.reader().subscriptions(actor.account_id))
    if (mailbox_pattern_matches(filter, name)) out.push_back(name);
  return out;
}

awaitable<void> MailboxService::update_subscriptions(const Actor& actor,
                                                     std::vector<std::pair<std::string, bool>> changes) {
  for (auto& [name, add] : changes) name = checked_reference_name(name);
  co_await store_.write<int>([&](Repository& db) {
    for (auto& [name, add] : changes) {
      if (add) db.add_subscription(actor.account_id, name);
      else db.remove_subscription(actor.account_id, name);
    }
    return 0;
  });
}

std::vector<store::MailboxAlias> MailboxService::aliases(const Actor& actor) {
  return store_.reader().aliases(actor.account_id);
}

awaitable<void> MailboxService::update_aliases(
    const Actor& actor, std::vector<std::pair<std::string, std::optional<std::string>>> changes) {
  for (auto& [name, target] : changes) {
    name = canonical_mailbox_name(name);
    if (target) *target = checked_reference_name(*target);
  }
  co_await store_.write<int>([&](Repository& db) {
    for (auto& [name, target] : changes) {
      if (target) db.set_alias(actor.account_id, name, *target);
      else db.remove_alias(actor.account_id, name);
    }
    return 0;
  });
}

Rights MailboxService::rights(const Actor& actor, std::string_view name) {
  auto ref = resolve(actor, name);
  if (!ref.record || ref.rights == 0) unknown_mailbox(name);
  return ref.rights;
}

std::vector<store::AclEntry> MailboxService::acl(const Actor& actor, std::string_view name) {
  auto ref = require(actor, name, right::admin);
  return store_.reader().mailbox_acl(ref.record->id);
}

namespace {

// An ACL identifier with the domain it implies: "bob" in a mailbox of alice@example.dom is
// "bob@example.dom" ("-bob" likewise); "anyone" stays as it is.
std::string full_identifier(std::string_view pattern, std::string_view owner_domain) {
  std::string out = ascii_lower(pattern);
  std::string_view name = std::string_view(out).substr(out.starts_with("-") ? 1 : 0);
  if (name != "anyone" && name.find('@') == std::string_view::npos) out += "@" + ascii_lower(owner_domain);
  return out;
}

bool same_acl_identifier(std::string_view a, std::string_view b, std::string_view owner_domain) {
  return full_identifier(a, owner_domain) == full_identifier(b, owner_domain);
}

}  // namespace

awaitable<void> MailboxService::update_acl(const Actor& actor, std::string name, std::vector<AclChange> changes) {
  auto ref = require(actor, name, right::admin);
  for (auto& change : changes) {
    check_acl_pattern(change.pattern);
    if (change.mode != "clear") parse_rights(change.rights);
  }
  int64_t mailbox_id = ref.record->id;
  co_await store_.write<int>([&](Repository& db) {
    // Read-modify-write inside the writer, so concurrent "add"/"sub" updates do not lose each other.
    auto entries = db.mailbox_acl(mailbox_id);
    for (auto& change : changes) {
      // "bob" and "bob@<the owner's domain>" name the same account: one entry for both.
      auto same = [&](const store::AclEntry& e) { return same_acl_identifier(e.pattern, change.pattern, ref.owner.domain); };
      if (change.mode == "clear") {
        for (auto& e : entries)
          if (same(e)) db.delete_acl_entry(mailbox_id, e.pattern);
        std::erase_if(entries, same);
        continue;
      }
      std::string current;
      auto it = std::find_if(entries.begin(), entries.end(), same);
      if (it != entries.end()) current = it->rights;
      std::string updated = updated_rights_text(current, change.mode, change.rights);
      db.set_acl_entry(mailbox_id, it != entries.end() ? it->pattern : change.pattern, updated);
      if (it != entries.end()) it->rights = updated;
      else entries.push_back(store::AclEntry{change.pattern, updated});
    }
    return 0;
  });
}

}  // namespace ximssd::mail
