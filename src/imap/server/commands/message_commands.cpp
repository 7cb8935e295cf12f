// Commands of the selected state that change messages (RFC 3501 section 6.4): CHECK, CLOSE,
// EXPUNGE, STORE (with CONDSTORE's UNCHANGEDSINCE), COPY, and UNSELECT (RFC 3691), MOVE
// (RFC 6851), UID EXPUNGE (RFC 4315), with COPYUID responses.
#include "base/text.hpp"
#include "imap/response_text.hpp"
#include "imap/server/command.hpp"
#include "imap/server/imap_flags.hpp"
#include "imap/server/mailbox_names.hpp"
#include "imap/server/message_set.hpp"

namespace ximssd::imap {

namespace {

using boost::asio::awaitable;

void require_writable(CommandContext& c) {
  if (c.selected().read_only) {
    c.code = "READ-ONLY";
    throw Failure(ErrorCode::permissionDenied, "the mailbox is selected read-only");
  }
}

void check(CommandContext& c) {
  c.args.expect_end();
}

void deselect(CommandContext& c) {
  c.session.selected.reset();
  c.session.saved_result.clear();  // RFC 5182: "$" is per selected mailbox
  c.session.state = ImapState::authenticated;
}

awaitable<void> close(CommandContext& c) {
  c.args.expect_end();
  auto& s = c.selected();
  if (!s.read_only && (s.view.mailbox.rights & mail::right::expunge)) {
    // Silently: no EXPUNGE responses (RFC 3501 6.4.2).
    co_await c.ctx.messages.expunge(c.actor(), s.view);
  }
  deselect(c);
}

void unselect(CommandContext& c) {
  c.args.expect_end();
  deselect(c);
}

awaitable<void> expunge(CommandContext& c) {
  std::optional<SequenceSet> only;
  if (c.uid()) {
    c.args.sp();
    only = c.args.sequence_set();
  }
  c.args.expect_end();
  require_writable(c);
  auto& s = c.selected();
  if (only) {
    auto uids = uids_at(s, resolve_set(c, *only, true));
    co_await c.ctx.messages.expunge_uids(c.actor(), s.view, std::move(uids));
  } else {
    co_await c.ctx.messages.expunge(c.actor(), s.view);
  }
}

awaitable<void> store(CommandContext& c) {
  c.uses_sequence_numbers = !c.uid();
  c.args.sp();
  auto set = c.args.sequence_set();
  c.args.sp();
  store::FlagStore edit;
  if (c.args.accept('(')) {
    if (!c.args.accept_word("UNCHANGEDSINCE")) throw SyntaxError("expected UNCHANGEDSINCE", c.args.offset());
    c.args.sp();
    edit.unchanged_since = static_cast<int64_t>(c.args.number64());
    c.args.list_end();
    c.args.sp();
    c.session.condstore = true;
  }
  std::string item = ascii_lower(c.args.atom());
  bool silent = item.ends_with(".silent");
  if (silent) item.resize(item.size() - 7);
  if (item == "flags") edit.mode = store::FlagStore::Mode::replace;
  else if (item == "+flags") edit.mode = store::FlagStore::Mode::add;
  else if (item == "-flags") edit.mode = store::FlagStore::Mode::remove;
  else throw SyntaxError("expected FLAGS, +FLAGS or -FLAGS", c.args.offset());
  c.args.sp();
  std::vector<std::string> given;
  if (c.args.peek() == '(') {
    given = c.args.flag_list();
  } else {
    do given.push_back(c.args.flag());
    while (c.args.accept(' '));
  }
  c.args.expect_end();
  auto parsed = parse_flags(given);
  edit.flags = parsed.bits;
  edit.keywords = std::move(parsed.keywords);
  edit.replaced = imap_flag_mask();
  require_writable(c);

  auto& s = c.selected();
  auto indexes = resolve_set(c, set, c.uid());
  auto result = co_await c.ctx.messages.store_flags(c.actor(), s.view, uids_at(s, indexes), edit);
  for (const auto& change : result.changed) s.note_reported(static_cast<uint32_t>(change.uid), change.modseq);

  auto now = s.now();
  std::vector<int64_t> modified;
  std::unordered_set<int64_t> was_modified(result.modified.begin(), result.modified.end());
  for (size_t i : indexes) {
    uint32_t uid = s.uid_at(i);
    if (was_modified.count(uid)) {
      modified.push_back(c.uid() ? uid : static_cast<int64_t>(i + 1));
      continue;
    }
    auto at = now->find(uid);
    if (!at) continue;
    if (silent && !(c.session.condstore && edit.unchanged_since)) continue;
    std::string line = std::to_string(i + 1) + " FETCH (";
    // UID STORE, and every FETCH once QRESYNC is enabled (RFC 7162 3.2.4), carry the UID.
    if (c.uid() || c.session.qresync) line += "UID " + std::to_string(uid) + " ";
    if (!silent) {
      line += "FLAGS ";
      append_flag_list(line, now->flags[*at], now->keywords_of(*at), s.is_recent(uid));
      if (c.session.condstore) line += " ";
    }
    if (c.session.condstore) line += "MODSEQ (" + std::to_string(now->modseqs[*at]) + ")";
    line += ")";
    c.untagged(line);
  }
  if (!modified.empty()) {
    std::sort(modified.begin(), modified.end());
    c.code = "MODIFIED " + format_number_set(modified);
    c.text = "some messages were changed since UNCHANGEDSINCE";
  }
}

awaitable<void> copy_or_move(CommandContext& c, bool move) {
  c.uses_sequence_numbers = !c.uid() && !move;
  c.args.sp();
  auto set = c.args.sequence_set();
  c.args.sp();
  std::string target = read_mailbox(c.args);
  c.args.expect_end();
  if (move) require_writable(c);
  auto& s = c.selected();
  auto uids = uids_at(s, resolve_set(c, set, c.uid()));
  auto destination = c.ctx.mailboxes.resolve(c.actor(), target);
  if (!destination.record) {
    c.code = "TRYCREATE";
    throw Failure(ErrorCode::notFound, "no such mailbox: " + target);
  }
  if (uids.empty()) co_return;
  if (c.ctx.quota.limit_kib(destination.owner_id)) {
    uint64_t bytes = 0;
    for (const auto& m : c.ctx.messages.summaries(c.actor(), s.view, uids))
      if (m) bytes += static_cast<uint64_t>(m->size);
    c.ctx.quota.check(destination.owner_id, bytes);
  }
  auto copied = co_await c.ctx.messages.copy(c.actor(), s.view, uids, target, move);
  if (copied.empty()) co_return;
  std::vector<int64_t> from, to;
  for (const auto& m : copied) {
    from.push_back(m.source_uid);
    to.push_back(m.uid);
  }
  // Both lists are in source-UID order, so the n-th of one matches the n-th of the other.
  std::string code = "COPYUID " + std::to_string(destination.record->uid_validity) + " " +
                     format_number_set(from) + " " + format_number_set(to);
  if (move) c.untagged("OK [" + code + "] Moved");
  else c.code = code;
}

awaitable<void> copy(CommandContext& c) { co_await copy_or_move(c, false); }
awaitable<void> move(CommandContext& c) { co_await copy_or_move(c, true); }

const CommandSpec kCommands[] = {
    {"CHECK", nullptr, check, kSelected},         {"CLOSE", close, nullptr, kSelected},
    {"UNSELECT", nullptr, unselect, kSelected},   {"EXPUNGE", expunge, nullptr, kSelected},
    {"UID EXPUNGE", expunge, nullptr, kSelected}, {"STORE", store, nullptr, kSelected},
    {"UID STORE", store, nullptr, kSelected},     {"COPY", copy, nullptr, kSelected},
    {"UID COPY", copy, nullptr, kSelected},       {"MOVE", move, nullptr, kSelected},
    {"UID MOVE", move, nullptr, kSelected},
};

}  // namespace

std::span<const CommandSpec> message_commands() { return kCommands; }

}  // namespace ximssd::imap
