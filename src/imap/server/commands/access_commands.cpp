// Access control (RFC 4314: SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS) over the same ACLs
// XIMSS edits, and quotas (RFC 9208: GETQUOTAROOT, GETQUOTA, SETQUOTA) with the one resource
// STORAGE, counted over all of the owner's mailboxes.
#include "base/text.hpp"
#include "imap/response_text.hpp"
#include "imap/server/command.hpp"
#include "imap/server/mailbox_names.hpp"
#include "mail/acl.hpp"

namespace ximssd::imap {

namespace {

using boost::asio::awaitable;

std::string wire_name(std::string_view name) {
  std::string out;
  append_astring(out, name_to_wire(name));
  return out;
}

std::string astring_text(std::string_view text) {
  std::string out;
  append_astring(out, text);
  return out;
}

awaitable<void> setacl(CommandContext& c) {
  c.args.sp();
  std::string name = read_mailbox(c.args);
  c.args.sp();
  std::string identifier = c.args.astring();
  c.args.sp();
  std::string rights = c.args.astring();
  c.args.expect_end();
  mail::AclChange change;
  change.pattern = identifier;
  change.mode = "set";
  change.rights = rights;
  try {
    mail::parse_rights(change.rights.substr(change.rights.empty() || (rights[0] != '+' && rights[0] != '-') ? 0 : 1));
  } catch (const Failure& e) {
    throw SyntaxError(e.what(), 0);  // an unknown right letter is a bad command (RFC 4314 3.1)
  }
  if (!rights.empty() && (rights[0] == '+' || rights[0] == '-')) {
    change.mode = rights[0] == '+' ? "add" : "sub";
    change.rights = rights.substr(1);
  }
  std::vector<mail::AclChange> changes{change};
  co_await c.ctx.mailboxes.update_acl(c.actor(), name, std::move(changes));
}

awaitable<void> deleteacl(CommandContext& c) {
  c.args.sp();
  std::string name = read_mailbox(c.args);
  c.args.sp();
  std::string identifier = c.args.astring();
  c.args.expect_end();
  mail::AclChange change;
  change.pattern = identifier;
  change.mode = "clear";
  std::vector<mail::AclChange> changes{change};
  co_await c.ctx.mailboxes.update_acl(c.actor(), name, std::move(changes));
}

void getacl(CommandContext& c) {
  c.args.sp();
  std::string name = read_mailbox(c.args);
  c.args.expect_end();
  auto ref = c.ctx.mailboxes.require(c.actor(), name, mail::right::admin);
  std::string line = "ACL " + wire_name(ref.display_name());
  // The owner holds every right, whatever the list says.
  line += " " + astring_text(ref.owner.name + "@" + ref.owner.domain) + " " + mail::rights_text(mail::right::all);
  for (const auto& entry : c.ctx.mailboxes.acl(c.actor(), name))
    line += " " + astring_text(entry.pattern) + " " + astring_text(entry.rights);
  c.untagged(line);
}

void listrights(CommandContext& c) {
  c.args.sp();
  std::string name = read_mailbox(c.args);
  c.args.sp();
  std::string identifier = c.args.astring();
  c.args.expect_end();
  auto ref = c.ctx.mailboxes.require(c.actor(), name, mail::right::admin);
  bool owner = iequals(identifier, ref.owner.name) || iequals(identifier, ref.owner.name + "@" + ref.owner.domain);
  c.untagged("LISTRIGHTS " + wire_name(ref.display_name()) + " " + astring_text(identifier) +
             (owner ? " lrswipkxtea" : " \"\" l r s w i p k x t e a"));
}

void myrights(CommandContext& c) {
  c.args.sp();
  std::string name = read_mailbox(c.args);
  c.args.expect_end();
  auto ref = c.ctx.mailboxes.resolve(c.actor(), name);
  // No right at all reads as no mailbox, so that names cannot be probed.
  if (!ref.record || ref.rights == 0) throw Failure(ErrorCode::notFound, "no such mailbox: " + name);
  c.untagged("MYRIGHTS " + wire_name(ref.display_name()) + " " + mail::rights_text(ref.rights));
}

void quota_line(CommandContext& c, int64_t owner_id) {
  auto usage = c.ctx.quota.usage(owner_id);
  if (usage.limit_kib)
    c.untagged("QUOTA \"\" (STORAGE " + std::to_string(usage.used_kib) + " " + std::to_string(*usage.limit_kib) + ")");
}

void getquotaroot(CommandContext& c) {
  c.args.sp();
  std::string name = read_mailbox(c.args);
  c.args.expect_end();
  auto ref = c.ctx.mailboxes.require(c.actor(), name, mail::right::lookup);
  bool limited = c.ctx.quota.limit_kib(ref.owner_id).has_value();
  c.untagged("QUOTAROOT " + wire_name(ref.display_name()) + (limited ? " \"\"" : ""));
  if (limited) quota_line(c, ref.owner_id);
}

void getquota(CommandContext& c) {
  c.args.sp();
  std::string root = c.args.astring();
  c.args.expect_end();
  if (!root.empty() || !c.ctx.quota.limit_kib(c.actor().account_id))
    throw Failure(ErrorCode::notFound, "no such quota root: \"" + root + "\"");
  quota_line(c, c.actor().account_id);
}

void setquota(CommandContext& c) {
  c.args.sp();
  c.args.astring();
  c.args.sp();
  c.args.list_begin();
  while (!c.args.accept_list_end()) {
    c.args.accept(' ');
    c.args.atom();
    c.args.sp();
    c.args.number64();
  }
  c.args.expect_end();
  throw Failure(ErrorCode::permissionDenied, "quotas are set by the server's administrator");
}

const CommandSpec kCommands[] = {
    {"SETACL", setacl, nullptr, kLoggedIn},         {"DELETEACL", deleteacl, nullptr, kLoggedIn},
    {"GETACL", nullptr, getacl, kLoggedIn},         {"LISTRIGHTS", nullptr, listrights, kLoggedIn},
    {"MYRIGHTS", nullptr, myrights, kLoggedIn},     {"GETQUOTAROOT", nullptr, getquotaroot, kLoggedIn},
    {"GETQUOTA", nullptr, getquota, kLoggedIn},     {"SETQUOTA", nullptr, setquota, kLoggedIn},
};

}  // namespace

std::span<const CommandSpec> access_commands() { return kCommands; }

}  // namespace ximssd::imap
