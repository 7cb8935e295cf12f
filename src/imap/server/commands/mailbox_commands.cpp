// Mailbox commands of the authenticated state (RFC 3501 section 6.3): SELECT and EXAMINE (with
// CONDSTORE and QRESYNC, RFC 7162), CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST (with
// RFC 5258 options, CHILDREN and SPECIAL-USE attributes), LSUB, STATUS and APPEND (UIDPLUS).
#include <algorithm>
#include <set>

#include "base/text.hpp"
#include "base/time_format.hpp"
#include "imap/response_text.hpp"
#include "imap/server/command.hpp"
#include "imap/server/imap_flags.hpp"
#include "imap/server/mailbox_names.hpp"
#include "mail/mailbox_name.hpp"
#include "mail/message_flags.hpp"

namespace ximssd::imap {

namespace {

using boost::asio::awaitable;

std::string quoted_mailbox(std::string_view name) {
  std::string out;
  append_astring(out, name_to_wire(name));
  return out;
}

// RFC 6154 attributes, by the conventional top-level names.
const char* special_use(std::string_view name) {
  if (name.find('/') != std::string_view::npos) return nullptr;
  if (iequals(name, "Sent") || iequals(name, "Sent Items") || iequals(name, "Sent Messages")) return "\\Sent";
  if (iequals(name, "Drafts")) return "\\Drafts";
  if (iequals(name, "Trash") || iequals(name, "Deleted Items") || iequals(name, "Deleted Messages")) return "\\Trash";
  if (iequals(name, "Junk") || iequals(name, "Spam")) return "\\Junk";
  if (iequals(name, "Archive")) return "\\Archive";
  return nullptr;
}

// The QRESYNC parameter of SELECT: (uidvalidity modseq [known-uids])
struct QresyncParams {
  uint32_t uid_validity = 0;
  int64_t modseq = 0;
  std::optional<SequenceSet> known_uids;
};

void select_mailbox(CommandContext& c, bool examine) {
  c.args.sp();
  std::string name = read_mailbox(c.args);
  bool condstore = false;
  std::optional<QresyncParams> qresync;
  if (c.args.accept(' ')) {
    c.args.list_begin();
    for (bool first = true; !c.args.accept_list_end(); first = false) {
      if (!first) c.args.sp();
      if (c.args.accept_word("CONDSTORE")) {
        condstore = true;
      } else if (c.args.accept_word("QRESYNC")) {
        if (!c.session.qresync) throw SyntaxError("QRESYNC is not enabled", c.args.offset());
        QresyncParams q;
        c.args.sp();
        c.args.list_begin();
        q.uid_validity = c.args.nz_number();
        c.args.sp();
        q.modseq = static_cast<int64_t>(c.args.number64());
        if (c.args.accept(' ')) {
          if (c.args.peek() != '(') q.known_uids = c.args.sequence_set();
          if (c.args.peek() == ' ' || c.args.peek() == '(') {
            // seq-match-data: accepted; the known UIDs already bound what is reported.
            c.args.accept(' ');
            c.args.list_begin();
            c.args.sequence_set();
            c.args.sp();
            c.args.sequence_set();
            c.args.list_end();
          }
        }
        c.args.list_end();
        qresync = q;
      } else {
        throw SyntaxError("unknown SELECT parameter", c.args.offset());
      }
    }
  }
  c.args.expect_end();
  if (condstore) c.session.condstore = true;

  // Selecting closes the mailbox selected before, even when this one fails (RFC 3501).
  c.session.saved_result.clear();  // RFC 5182: "$" is per selected mailbox
  if (c.session.selected) {
    c.session.selected.reset();
    c.session.state = ImapState::authenticated;
    c.untagged("OK [CLOSED] Previous mailbox closed");  // RFC 7162 3.2.11
  }
  mail::FolderView view;
  view.name = name;
  view.mailbox = c.ctx.mailboxes.require(c.actor(), name, mail::right::read);
  if (view.mailbox.record->pure_folder) throw Failure(ErrorCode::notFound, "mailbox cannot be selected: " + name);
  mail::Rights rights = view.mailbox.rights;
  bool read_only = examine || !(rights & (mail::right::seen | mail::right::write | mail::right::delete_msg |
                                          mail::right::insert | mail::right::expunge));
  auto& s = c.session.selected.emplace(std::move(view), read_only, c.ctx.index, c.ctx.recent, c.wake);
  c.session.state = ImapState::selected;

  auto now = s.now();
  c.untagged("FLAGS " + defined_flags_text(now->keyword_sets));
  c.untagged("OK [PERMANENTFLAGS " + permanent_flags_text(!read_only, now->keyword_sets) + "] Flags permitted");
  c.untagged(std::to_string(s.count()) + " EXISTS");
  c.untagged(std::to_string(s.recent_count()) + " RECENT");
  for (size_t i = 0; i < s.count(); ++i) {
    auto at = now->find(s.uid_at(i));
    if (at && !(now->flags[*at] & mail::kSeen)) {
      c.untagged("OK [UNSEEN " + std::to_string(i + 1) + "] First unseen");
      break;
    }
  }
  c.untagged("OK [UIDVALIDITY " + std::to_string(s.uid_validity()) + "] UIDs valid");
  int64_t uid_next = std::max<int64_t>(s.view.mailbox.record->uid_next, int64_t{s.highest_uid()} + 1);
  c.untagged("OK [UIDNEXT " + std::to_string(uid_next) + "] Predicted next UID");
  c.untagged("OK [HIGHESTMODSEQ " + std::to_string(std::max<int64_t>(now->modseq, 1)) + "] Highest");

  if (qresync && qresync->uid_validity == s.uid_validity()) {
    // What changed since the client's modseq: erased UIDs as VANISHED (EARLIER), then the flags.
    auto erased = c.ctx.messages.expunged_since(c.actor(), s.view, qresync->modseq);
    std::vector<int64_t> vanished;
    uint32_t highest = UINT32_MAX;  // "*" reaches past the highest UID known
    for (int64_t uid : erased)
      if (!qresync->known_uids || qresync->known_uids->contains(static_cast<uint32_t>(uid), highest))
        vanished.push_back(uid);
    std::sort(vanished.begin(), vanished.end());
    if (!vanished.empty()) c.untagged("VANISHED (EARLIER) " + format_number_set(vanished));
    for (size_t i = 0; i < now->size(); ++i) {
      if (now->modseqs[i] <= qresync->modseq) continue;
      uint32_t uid = now->uids[i];
      if (qresync->known_uids && !qresync->known_uids->contains(uid, highest)) continue;
      auto seq = s.index_of(uid);
      if (!seq) continue;
      std::string line = std::to_string(*seq + 1) + " FETCH (UID " + std::to_string(uid) + " FLAGS ";
      append_flag_list(line, now->flags[i], now->keywords_of(i), s.is_recent(uid));
      line += " MODSEQ (" + std::to_string(now->modseqs[i]) + "))";
      c.untagged(line);
    }
  }
  c.code = read_only ? "READ-ONLY" : "READ-WRITE";
  c.text = examine ? "EXAMINE completed" : "SELECT completed";
}

void select(CommandContext& c) { select_mailbox(c, false); }
void examine(CommandContext& c) { select_mailbox(c, true); }

awaitable<void> create(CommandContext& c) {
  c.args.sp();
  std::string name = read_mailbox(c.args);
  if (c.args.accept(' ')) {  // RFC 4466 create parameters: (USE (\Sent)) is accepted and ignored
    c.args.list_begin();
    int depth = 1;
    while (depth > 0 && !c.args.at_end()) {
      char ch = c.args.peek();
      c.args.accept(ch);
      if (ch == '(') ++depth;
      if (ch == ')') --depth;
    }
  }
  c.args.expect_end();
  // A trailing delimiter only says that names will be created below it (RFC 3501 6.3.3).
  if (name.size() > 1 && name.back() == kDelimiter) name.pop_back();
  if (name == "INBOX") throw Failure(ErrorCode::alreadyExists, "INBOX already exists");
  if (c.ctx.mailboxes.resolve(c.actor(), name).record) throw Failure(ErrorCode::alreadyExists, "mailbox already exists: " + name);
  // RFC 3501 6.3.3: the superior names the new one needs are created too.
  // ("~user@domain/" names the account, not a mailbox: the superiors start after it.)
  size_t first = name.starts_with("~") ? name.find(kDelimiter) : 0;
  for (size_t slash = first == std::string::npos ? first : name.find(kDelimiter, first + 1);
       slash != std::string::npos && slash + 1 < name.size(); slash = name.find(kDelimiter, slash + 1)) {
    std::string parent = name.substr(0, slash);
    if (!c.ctx.mailboxes.resolve(c.actor(), parent).record) co_await c.ctx.mailboxes.create(c.actor(), parent, "");
  }
  co_await c.ctx.mailboxes.create(c.actor(), name, "");
}

awaitable<void> delete_(CommandContext& c) {
  c.args.sp();
  std::string name = read_mailbox(c.args);
  c.args.expect_end();
  if (c.session.selected && c.session.selected->view.mailbox.display_name() == name) {
    c.session.selected.reset();
    c.session.state = ImapState::authenticated;
  }
  co_await c.ctx.mailboxes.remove(c.actor(), name, false);
}

awaitable<void> rename(CommandContext& c) {
  c.args.sp();
  std::string from = read_mailbox(c.args);
  c.args.sp();
  std::string to = read_mailbox(c.args);
  c.args.expect_end();
  co_await c.ctx.mailboxes.rename(c.actor(), from, to, true);
}

awaitable<void> subscribe_to(CommandContext& c, bool add) {
  c.args.sp();
  std::string name = read_mailbox(c.args);
  c.args.expect_end();
  if (add) c.ctx.mailboxes.resolve(c.actor(), name);  // an unknown account is an error
  std::vector<std::pair<std::string, bool>> changes{{name, add}};
  co_await c.ctx.mailboxes.update_subscriptions(c.actor(), std::move(changes));
}
awaitable<void> subscribe(CommandContext& c) { co_await subscribe_to(c, true); }
awaitable<void> unsubscribe(CommandContext& c) { co_await subscribe_to(c, false); }

std::vector<std::string> read_status_items(ArgumentReader& args);
void status_response(CommandContext& c, std::string_view name, const std::vector<std::string>& items);

// The LIST pattern as a name filter: the reference and the pattern joined (RFC 3501 6.3.8).
std::string list_filter(const std::string& reference, const std::string& pattern) {
  if (reference.empty() || pattern.starts_with("~")) return pattern;
  if (reference.back() == kDelimiter) return reference + pattern;
  return reference + kDelimiter + pattern;
}

void list_mailboxes(CommandContext& c, bool lsub) {
  bool only_subscribed = lsub, only_special = false, return_subscribed = false, return_special = true;
  std::optional<std::vector<std::string>> return_status;  // RFC 5819 LIST-STATUS
  c.args.sp();
  if (!lsub && c.args.peek() == '(') {  // RFC 5258 selection options
    c.args.list_begin();
    for (bool first = true; !c.args.accept_list_end(); first = false) {
      if (!first) c.args.sp();
      std::string option = ascii_lower(c.args.atom());
      if (option == "subscribed") only_subscribed = return_subscribed = true;
      else if (option == "special-use") only_special = true;
      else if (option != "remote" && option != "recursivematch") throw SyntaxError("unknown LIST option " + option, 0);
    }
    c.args.sp();
  }
  std::string reference = name_from_wire(c.args.list_mailbox());
  c.args.sp();
  std::vector<std::string> patterns;
  if (!lsub && c.args.accept('(')) {
    for (bool first = true; !c.args.accept_list_end(); first = false) {
      if (!first) c.args.sp();
      patterns.push_back(c.args.list_mailbox());
    }
  } else {
    patterns.push_back(c.args.list_mailbox());
  }
  if (!lsub && c.args.accept(' ')) {
    if (!c.args.accept_word("RETURN")) throw SyntaxError("expected RETURN", c.args.offset());
    c.args.sp();
    c.args.list_begin();
    for (bool first = true; !c.args.accept_list_end(); first = false) {
      if (!first) c.args.sp();
      std::string option = ascii_lower(c.args.atom());
      if (option == "subscribed") return_subscribed = true;
      else if (option == "special-use") return_special = true;
      else if (option == "status") {
        c.args.sp();
        return_status = read_status_items(c.args);
      } else if (option != "children") throw SyntaxError("unknown LIST return option " + option, 0);
    }
  }
  c.args.expect_end();
  const char* verb = lsub ? "LSUB" : "LIST";
  if (patterns.size() == 1 && patterns[0].empty()) {
    // The hierarchy delimiter and the root of the reference.
    std::string root = reference.empty() || reference.front() == '~' ? "" : reference.substr(0, reference.find('/'));
    c.untagged(std::string(verb) + " (\\Noselect) \"/\" " + (root.empty() ? "\"\"" : quoted_mailbox(root)));
    return;
  }
  std::set<std::string> subscribed;
  if (only_subscribed || return_subscribed)
    for (auto& n : c.ctx.mailboxes.subscriptions(c.actor(), "*")) subscribed.insert(n);
  std::set<std::string> listed;
  for (const auto& raw : patterns) {
    std::string filter = list_filter(reference, name_from_wire(raw));
    if (lsub) {
      auto all = c.ctx.mailboxes.subscriptions(c.actor(), "*");
      std::set<std::string> subscribed_names(all.begin(), all.end());
      for (const auto& name : all) {
        if (mail::mailbox_pattern_matches(filter, name)) {
          if (listed.insert(name).second) c.untagged(std::string(verb) + " () \"/\" " + quoted_mailbox(name));
          continue;
        }
        // RFC 3501 6.3.9: with "%", a level above a subscribed name that is not subscribed itself
        // is listed as \Noselect.
        for (size_t slash = name.find(kDelimiter); slash != std::string::npos; slash = name.find(kDelimiter, slash + 1)) {
          std::string level = name.substr(0, slash);
          if (subscribed_names.count(level) || !mail::mailbox_pattern_matches(filter, level)) continue;
          if (listed.insert(level).second) c.untagged(std::string(verb) + " (\\Noselect) \"/\" " + quoted_mailbox(level));
        }
      }
      continue;
    }
    mail::ListOptions options;
    options.filter = filter;
    options.pure_folders = true;
    if (filter.starts_with("~") && filter.find(kDelimiter) == std::string::npos && !only_subscribed && !only_special) {
      // "~%": the other users' levels of the hierarchy, which are no mailboxes (RFC 3501 6.3.8).
      mail::ListOptions all = options;
      all.filter = "~*";
      for (const auto& entry : c.ctx.mailboxes.list(c.actor(), all)) {
        std::string level = entry.name.substr(0, entry.name.find(kDelimiter));
        if (level == entry.name || !mail::mailbox_pattern_matches(filter, level) || !listed.insert(level).second) continue;
        c.untagged(std::string(verb) + " (\\Noselect \\HasChildren) \"/\" " + quoted_mailbox(level));
      }
    }
    for (const auto& entry : c.ctx.mailboxes.list(c.actor(), options)) {
      if (!listed.insert(entry.name).second) continue;
      bool is_subscribed = subscribed.count(entry.name) > 0;
      if (only_subscribed && !is_subscribed) continue;
      const char* use = special_use(entry.name);
      if (only_special && !use) continue;
      std::string attributes;
      auto add = [&](std::string_view a) {
        if (!attributes.empty()) attributes += ' ';
        attributes += a;
      };
      if (!entry.record || entry.pure_folder) add("\\Noselect");
      add(entry.has_children ? "\\HasChildren" : "\\HasNoChildren");
      if (return_subscribed && is_subscribed) add("\\Subscribed");
      if (return_special && use) add(use);
      c.untagged(std::string(verb) + " (" + attributes + ") \"/\" " + quoted_mailbox(entry.name));
      if (return_status && entry.record && !entry.pure_folder) {
        try {
          status_response(c, entry.name, *return_status);
        } catch (const Failure&) {
          // RFC 5819: a mailbox whose status cannot be read is listed without it.
        }
      }
    }
  }
}

void list(CommandContext& c) { list_mailboxes(c, false); }
void lsub(CommandContext& c) { list_mailboxes(c, true); }

std::vector<std::string> read_status_items(ArgumentReader& args) {
  args.list_begin();
  std::vector<std::string> items;
  for (bool first = true; !args.accept_list_end(); first = false) {
    if (!first) args.sp();
    std::string item = ascii_lower(args.atom());
    static const std::set<std::string> known{"messages", "unseen", "uidnext", "uidvalidity", "highestmodseq",
                                             "size", "recent"};
    if (!known.count(item)) throw SyntaxError("unknown STATUS item " + item, args.offset());
    items.push_back(std::move(item));
  }
  return items;
}

// "* STATUS name (items)" for a mailbox, as STATUS and LIST's RETURN (STATUS ...) give it.
void status_response(CommandContext& c, std::string_view name, const std::vector<std::string>& items) {
  auto [ref, stats] = c.ctx.mailboxes.status(c.actor(), name);
  if (ref.record->pure_folder) throw Failure(ErrorCode::notFound, "mailbox holds no messages: " + std::string(name));
  std::string data;
  auto add = [&](std::string_view item, int64_t value) {
    if (!data.empty()) data += ' ';
    data += item;
    data += ' ';
    data += std::to_string(value);
  };
  for (const auto& item : items) {
    if (item == "messages") add("MESSAGES", stats.messages);
    else if (item == "unseen") add("UNSEEN", stats.unseen);
    else if (item == "uidnext") add("UIDNEXT", ref.record->uid_next);
    else if (item == "uidvalidity") add("UIDVALIDITY", ref.record->uid_validity);
    else if (item == "highestmodseq") add("HIGHESTMODSEQ", std::max<int64_t>(ref.record->highest_modseq, 1));
    else if (item == "size") add("SIZE", stats.size);
    else if (item == "recent") {
      auto entry = c.ctx.index.follow(ref.record->id);
      auto now = c.ctx.index.current(*entry);
      uint32_t mark = c.ctx.recent.mark(ref.record->id, 0);
      add("RECENT", now->uids.end() - std::upper_bound(now->uids.begin(), now->uids.end(), mark));
    }
  }
  c.untagged("STATUS " + quoted_mailbox(ref.display_name()) + " (" + data + ")");
}

void status(CommandContext& c) {
  c.args.sp();
  std::string name = read_mailbox(c.args);
  c.args.sp();
  auto items = read_status_items(c.args);
  c.args.expect_end();
  status_response(c, name, items);
}

awaitable<void> append(CommandContext& c) {
  c.args.sp();
  std::string name = read_mailbox(c.args);
  c.args.sp();
  ParsedFlags flags;
  if (c.args.peek() == '(') {
    flags = parse_flags(c.args.flag_list());
    c.args.sp();
  }
  int64_t internal_date = 0;
  if (c.args.peek() == '"') {
    internal_date = c.args.date_time().unix_time();
    c.args.sp();
  }
  std::string bytes = c.args.string();
  c.args.expect_end();
  if (bytes.empty()) throw Failure(ErrorCode::badRequest, "an empty message cannot be stored");
  auto target = c.ctx.mailboxes.resolve(c.actor(), name);
  if (!target.record) {
    c.code = "TRYCREATE";
    throw Failure(ErrorCode::notFound, "no such mailbox: " + name);
  }
  c.ctx.quota.check(target.owner_id, bytes.size());
  mail::IncomingMessage message;
  message.bytes = std::move(bytes);
  message.flags = flags.bits;
  for (const auto& k : flags.keywords) message.keywords += (message.keywords.empty() ? "" : " ") + k;
  message.internal_date = internal_date;
  auto appended = co_await c.ctx.ingest.append(c.actor(), name, std::move(message));
  c.code = "APPENDUID " + std::to_string(appended.uid_validity) + " " + std::to_string(appended.uid);
}

const CommandSpec kCommands[] = {
    {"SELECT", nullptr, select, kLoggedIn},           {"EXAMINE", nullptr, examine, kLoggedIn},
    {"CREATE", create, nullptr, kLoggedIn},           {"DELETE", delete_, nullptr, kLoggedIn},
    {"RENAME", rename, nullptr, kLoggedIn},           {"SUBSCRIBE", subscribe, nullptr, kLoggedIn},
    {"UNSUBSCRIBE", unsubscribe, nullptr, kLoggedIn}, {"LIST", nullptr, list, kLoggedIn},
    {"LSUB", nullptr, lsub, kLoggedIn},               {"STATUS", nullptr, status, kLoggedIn},
    {"APPEND", append, nullptr, kLoggedIn},
};

}  // namespace

std::span<const CommandSpec> mailbox_commands() { return kCommands; }

}  // namespace ximssd::imap
