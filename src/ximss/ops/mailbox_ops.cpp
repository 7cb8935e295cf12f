// Mailbox operations: create, rename, remove, list, subscriptions, aliases, rights and ACLs
// (the reference's "Mailboxes" requests). The checks and the store live in
// mail/mailbox_service; this file reads the requests and writes the data messages.
#include <boost/asio/use_awaitable.hpp>

#include "base/text.hpp"
#include "base/time_format.hpp"
#include "mail/acl.hpp"
#include "mail/mailbox_service.hpp"
#include "ximss/dispatch.hpp"
#include "ximss/ops/common.hpp"

namespace ximssd::ximss {

namespace {

using boost::asio::awaitable;

// The text content of an element (the rights letters of an aclElem, an alias target).
std::string body_text(pugi::xml_node node) { return node.text().as_string(); }

awaitable<void> mailbox_create(Request& r) {
  co_await r.ctx.mailboxes.create(ops::actor_of(r), std::string(r.required("mailbox")), std::string(r.attr("mailboxClass")));
}

awaitable<void> mailbox_rename(Request& r) {
  co_await r.ctx.mailboxes.rename(ops::actor_of(r), std::string(r.required("mailbox")), std::string(r.required("newName")),
                                  r.has_attr("children"));
}

awaitable<void> mailbox_remove(Request& r) {
  co_await r.ctx.mailboxes.remove(ops::actor_of(r), std::string(r.required("mailbox")), r.has_attr("children"));
}

awaitable<void> mailbox_list(Request& r) {
  mail::ListOptions options;
  if (r.has_attr("filter")) options.filter = std::string(r.attr("filter"));
  if (r.has_attr("mailboxClass")) options.mailbox_class = std::string(r.attr("mailboxClass"));
  options.pure_folders = is_yes(r.attr("pureFolder"));
  for (const auto& e : r.ctx.mailboxes.list(ops::actor_of(r), options)) {
    auto m = r.data("mailbox");
    m->attr("mailbox", e.name);
    if (e.pure_folder) {
      m->attr("pureFolder", "yes");
    } else if (e.record) {
      m->attr("UIDVALIDITY", e.record->uid_validity);
      m->attr("UIDNEXT", e.record->uid_next);
      m->attr("MESSAGES", e.stats.messages);
      m->attr("UNSEEN", e.stats.unseen);
      m->attr("SIZE", e.stats.size);
      m->attr("MEDIA", e.stats.media);
      m->attr("UNSEENMEDIA", e.stats.unseen_media);
      if (e.stats.oldest) m->attr("OLDEST", format_ximss_time(SysSeconds(std::chrono::seconds(*e.stats.oldest))));
      m->attr_if("CLASS", e.record->mailbox_class);
      if (e.has_children) m->attr("isFolder", "yes");
    }
    if (e.rights) m->attr("rights", mail::rights_text(*e.rights));
  }
  co_return;
}

awaitable<void> mailbox_sub_list(Request& r) {
  std::string filter = r.has_attr("filter") ? std::string(r.attr("filter")) : "*";
  for (const auto& name : r.ctx.mailboxes.subscriptions(ops::actor_of(r), filter))
    r.data("mailboxSubscription")->attr("mailbox", name);
  co_return;
}

awaitable<void> mailbox_sub_update(Request& r) {
  std::vector<std::pair<std::string, bool>> changes;
  for (auto item : r.element.children("mailboxSubscription")) {
    std::string_view name = item.attribute("mailbox").value();
    if (name.empty()) throw Failure(ErrorCode::badRequest, "mailboxSubscription needs a mailbox attribute");
    changes.emplace_back(std::string(name), std::string_view(item.attribute("mode").value()) == "add");
  }
  // A single change may also be given on the request element itself.
  if (r.has_attr("mailbox")) changes.emplace_back(std::string(r.attr("mailbox")), r.attr("mode") == "add");
  if (changes.empty()) throw Failure(ErrorCode::badRequest, "no mailboxSubscription elements");
  co_await r.ctx.mailboxes.update_subscriptions(ops::actor_of(r), std::move(changes));
}

awaitable<void> mailbox_alias_list(Request& r) {
  for (const auto& alias : r.ctx.mailboxes.aliases(ops::actor_of(r))) {
    auto m = r.data("mailboxAlias");
    m->attr("name", alias.name);
    m->text(alias.target);
  }
  co_return;
}

awaitable<void> mailbox_alias_update(Request& r) {
  std::vector<std::pair<std::string, std::optional<std::string>>> changes;
  for (auto item : r.element.children("mailboxAlias")) {
    std::string_view name = item.attribute("name").value();
    if (name.empty()) throw Failure(ErrorCode::badRequest, "mailboxAlias needs a name attribute");
    if (std::string_view(item.attribute("mode").value()) == "add") {
      std::string target = body_text(item);
      if (target.empty()) throw Failure(ErrorCode::badRequest, "mailboxAlias needs the target mailbox as its text");
      changes.emplace_back(std::string(name), target);
    } else {
      changes.emplace_back(std::string(name), std::nullopt);
    }
  }
  if (changes.empty()) throw Failure(ErrorCode::badRequest, "no mailboxAlias elements");
  co_await r.ctx.mailboxes.update_aliases(ops::actor_of(r), std::move(changes));
}

awaitable<void> mailbox_rights_get(Request& r) {
  std::string name(r.required("mailbox"));
  auto rights = r.ctx.mailboxes.rights(ops::actor_of(r), name);
  auto m = r.data("mailboxRights");
  m->attr("mailbox", name);
  m->text(mail::rights_text(rights));
  co_return;
}

awaitable<void> mailbox_acl_list(Request& r) {
  std::string name(r.required("mailbox"));
  auto entries = r.ctx.mailboxes.acl(ops::actor_of(r), name);
  auto m = r.data("mailboxACL");
  m->attr("mailbox", name);
  for (const auto& e : entries) m->open("aclElem").attr("pattern", e.pattern).text(e.rights).close();
  co_return;
}

awaitable<void> mailbox_acl_update(Request& r) {
  std::vector<mail::AclChange> changes;
  for (auto item : r.element.children("aclElem")) {
    std::string_view pattern = item.attribute("pattern").value();
    if (pattern.empty()) throw Failure(ErrorCode::badRequest, "aclElem needs a pattern attribute");
    changes.push_back(mail::AclChange{std::string(pattern), item.attribute("mode").value(), body_text(item)});
  }
  if (changes.empty()) throw Failure(ErrorCode::badRequest, "no aclElem elements");
  co_await r.ctx.mailboxes.update_acl(ops::actor_of(r), std::string(r.required("mailbox")), std::move(changes));
}

const Operation kOperations[] = {
    {"mailboxCreate", mailbox_create, Access::in_session},
    {"mailboxRename", mailbox_rename, Access::in_session},
    {"mailboxRemove", mailbox_remove, Access::in_session},
    {"mailboxList", mailbox_list, Access::in_session},
    {"mailboxSubList", mailbox_sub_list, Access::in_session},
    {"mailboxSubUpdate", mailbox_sub_update, Access::in_session},
    {"mailboxAliasList", mailbox_alias_list, Access::in_session},
    {"mailboxAliasUpdate", mailbox_alias_update, Access::in_session},
    {"mailboxRightsGet", mailbox_rights_get, Access::in_session},
    {"mailboxACLList", mailbox_acl_list, Access::in_session},
    {"mailboxACLUpdate", mailbox_acl_update, Access::in_session},
};

}  // namespace

std::span<const Operation> mailbox_operations() { return kOperations; }

}  // namespace ximssd::ximss
