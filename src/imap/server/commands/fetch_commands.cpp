// FETCH and UID FETCH (RFC 3501 section 6.4.5), with CONDSTORE's MODSEQ and CHANGEDSINCE and
// QRESYNC's VANISHED modifier (RFC 7162). Items that need only flags come from the shared
// mailbox version; the others from the message's row (ENVELOPE, BODYSTRUCTURE and BODY were
// computed at append) and its stored bytes, read and cut on the blocking pool.
#include <boost/asio/this_coro.hpp>

#include <unordered_set>

#include "base/run_blocking.hpp"
#include "base/text.hpp"
#include "imap/response_text.hpp"
#include "imap/server/command.hpp"
#include "imap/server/imap_flags.hpp"
#include "imap/server/message_set.hpp"
#include "mail/message_flags.hpp"
#include "mail/message_ingest.hpp"
#include "mime/imap_section.hpp"

namespace ximssd::imap {

namespace {

using boost::asio::awaitable;

struct FetchItem {
  enum class Kind {
    uid, flags, modseq, internal_date, size, envelope, body, bodystructure, section, rfc822, rfc822_header,
    rfc822_text
  } kind;
  Section section;
  std::optional<Partial> partial;
  bool peek = false;
  std::string label;  // for sections: "BODY[1.TEXT]" as the response names it
};

struct FetchRequest {
  std::vector<FetchItem> items;
  std::optional<int64_t> changed_since;
  bool vanished = false;
  bool needs_row = false;
  bool needs_text = false;   // the whole message
  bool needs_header = false;  // only the top-level header
  bool sets_seen = false;
};

void add_macro(FetchRequest& r, std::string_view macro) {
  using K = FetchItem::Kind;
  r.items.push_back({K::flags});
  r.items.push_back({K::internal_date});
  r.items.push_back({K::size});
  if (macro != "FAST") r.items.push_back({K::envelope});
  if (macro == "FULL") r.items.push_back({K::body});
}

FetchItem read_item(ArgumentReader& args) {
  using K = FetchItem::Kind;
  std::string name = ascii_upper(args.keyword());
  if (name == "UID") return {K::uid};
  if (name == "FLAGS") return {K::flags};
  if (name == "MODSEQ") return {K::modseq};
  if (name == "INTERNALDATE") return {K::internal_date};
  if (name == "RFC822.SIZE") return {K::size};
  if (name == "ENVELOPE") return {K::envelope};
  if (name == "BODYSTRUCTURE") return {K::bodystructure};
  if (name == "RFC822") return {K::rfc822};
  if (name == "RFC822.HEADER") return {K::rfc822_header};
  if (name == "RFC822.TEXT") return {K::rfc822_text};
  if (name == "BODY" || name == "BODY.PEEK") {
    if (args.peek() != '[') {
      if (name == "BODY.PEEK") args.fail("BODY.PEEK needs a section");
      return {K::body};
    }
    FetchItem item{K::section};
    item.peek = name == "BODY.PEEK";
    item.section = args.section();
    item.partial = args.partial();
    item.label = "BODY[" + item.section.to_string() + "]";
    if (item.partial) item.label += "<" + std::to_string(item.partial->offset) + ">";
    return item;
  }
  args.fail("unknown FETCH item " + name);
}

FetchRequest read_request(CommandContext& c) {
  FetchRequest r;
  c.args.sp();
  std::string_view macro = c.args.peek_atom();
  if (iequals(macro, "ALL") || iequals(macro, "FAST") || iequals(macro, "FULL")) {
    add_macro(r, ascii_upper(c.args.atom()));
  } else if (c.args.accept('(')) {
    for (bool first = true; !c.args.accept_list_end(); first = false) {
      if (!first) c.args.sp();
      r.items.push_back(read_item(c.args));
    }
  } else {
    r.items.push_back(read_item(c.args));
  }
  if (c.args.accept(' ')) {  // RFC 7162 modifiers
    c.args.list_begin();
    for (bool first = true; !c.args.accept_list_end(); first = false) {
      if (!first) c.args.sp();
      if (c.args.accept_word("CHANGEDSINCE")) {
        c.args.sp();
        r.changed_since = static_cast<int64_t>(c.args.number64());
      } else if (c.args.accept_word("VANISHED")) {
        if (!c.uid() || !c.session.qresync) c.args.fail("VANISHED needs UID FETCH and QRESYNC enabled");
        r.vanished = true;
      } else {
        c.args.fail("unknown FETCH modifier");
      }
    }
    if (r.vanished && !r.changed_since) c.args.fail("VANISHED needs CHANGEDSINCE");
  }
  c.args.expect_end();
  using K = FetchItem::Kind;
  bool has_uid = false, has_modseq = false;
  for (const auto& item : r.items) {
    switch (item.kind) {
      case K::uid: has_uid = true; break;
      case K::modseq: has_modseq = true; break;
      case K::flags: break;
      case K::section: {
        r.needs_row = true;
        bool header_only = item.section.part.empty() &&
                           (item.section.text == Section::Text::header || item.section.text == Section::Text::header_fields ||
                            item.section.text == Section::Text::header_fields_not);
        (header_only ? r.needs_header : r.needs_text) = true;
        if (!item.peek) r.sets_seen = true;
        break;
      }
      case K::rfc822_header: r.needs_row = r.needs_header = true; break;
      case K::rfc822: case K::rfc822_text: r.needs_row = r.needs_text = r.sets_seen = true; break;
      default: r.needs_row = true; break;
    }
  }
  // UID FETCH (and any FETCH once QRESYNC is enabled) reports UIDs; CHANGEDSINCE the modseqs.
  if ((c.uid() || c.session.qresync) && !has_uid) r.items.insert(r.items.begin(), FetchItem{K::uid});
  if (r.changed_since && !has_modseq) r.items.push_back(FetchItem{K::modseq});
  if (has_modseq || r.changed_since) c.session.condstore = true;
  return r;
}

void append_literal(std::string& out, std::string_view data) {
  out += '{';
  out += std::to_string(data.size());
  out += "}\r\n";
  out += data;
}

// The message's parts as the request needs them, read once.
struct MessageData {
  const store::MessageRecord* row = nullptr;
  std::string text;    // whole message (needs_text)
  std::string header;  // top-level header (needs_header, when the text was not read)
  store::CachedHeader computed;  // for rows stored before the IMAP structures were cached
  bool computed_ready = false;
  std::string_view header_bytes() const {
    if (!text.empty() || header.empty()) return std::string_view(text).substr(0, static_cast<size_t>(row->header.header_size));
    return header;
  }
};

const store::CachedHeader& structures(MessageData& d, mail::MessageService& messages) {
  if (!d.row->header.imap_envelope.empty() && !d.row->header.imap_bodystructure.empty()) return d.row->header;
  if (!d.computed_ready) {
    d.computed = mail::cache_header(d.text.empty() ? messages.message_text(*d.row) : d.text);
    d.computed_ready = true;
  }
  return d.computed;
}

void write_item(std::string& out, const FetchItem& item, MessageData& d, const MailboxVersion& now, size_t at,
                uint32_t uid, bool recent, bool condstore, mail::MessageService& messages) {
  using K = FetchItem::Kind;
  switch (item.kind) {
    case K::uid:
      out += "UID " + std::to_string(uid);
      break;
    case K::flags:
      out += "FLAGS ";
      append_flag_list(out, now.flags[at], now.keywords_of(at), recent);
      break;
    case K::modseq:
      out += "MODSEQ (" + std::to_string(now.modseqs[at]) + ")";
      break;
    case K::internal_date:
      out += "INTERNALDATE \"" + format_date_time(d.row->internal_date) + "\"";
      break;
    case K::size:
      out += "RFC822.SIZE " + std::to_string(d.row->size);
      break;
    case K::envelope:
      out += "ENVELOPE " + structures(d, messages).imap_envelope;
      break;
    case K::body:
      out += "BODY " + structures(d, messages).imap_body;
      break;
    case K::bodystructure:
      out += "BODYSTRUCTURE " + structures(d, messages).imap_bodystructure;
      break;
    case K::rfc822:
      out += "RFC822 ";
      append_literal(out, d.text);
      break;
    case K::rfc822_header:
      out += "RFC822.HEADER ";
      append_literal(out, d.header_bytes());
      break;
    case K::rfc822_text:
      out += "RFC822.TEXT ";
      append_literal(out, std::string_view(d.text).substr(std::min(d.text.size(), static_cast<size_t>(d.row->header.header_size))));
      break;
    case K::section: {
      std::optional<std::string> bytes =
          d.text.empty() && !d.header.empty() ? mime::section_bytes(d.header, item.section)
                                              : mime::section_bytes(d.text, item.section);
      std::string_view data = bytes ? std::string_view(*bytes) : std::string_view();
      if (item.partial) {
        data = data.substr(std::min<size_t>(data.size(), item.partial->offset));
        data = data.substr(0, item.partial->length);
      }
      out += item.label + " ";
      append_literal(out, data);
      break;
    }
  }
  (void)condstore;
}

awaitable<void> fetch(CommandContext& c) {
  c.uses_sequence_numbers = !c.uid();
  c.args.sp();
  auto set = c.args.sequence_set();
  FetchRequest request = read_request(c);
  auto& s = c.selected();
  auto indexes = resolve_set(c, set, c.uid());

  if (request.vanished) {
    // UIDs in the set erased since CHANGEDSINCE (RFC 7162 section 3.2.6).
    std::vector<int64_t> vanished;
    // "*" reaches past the highest UID known: the erased messages were above it too.
    for (int64_t uid : c.ctx.messages.expunged_since(c.actor(), s.view, *request.changed_since))
      if (set.contains(static_cast<uint32_t>(uid), UINT32_MAX)) vanished.push_back(uid);
    std::sort(vanished.begin(), vanished.end());
    if (!vanished.empty()) c.untagged("VANISHED (EARLIER) " + format_number_set(vanished));
  }

  // Reading a body without PEEK sets \Seen (and reports the flags) in a read-write mailbox.
  if (request.sets_seen && !s.read_only && (s.view.mailbox.rights & mail::right::seen)) {
    auto now = s.now();
    std::vector<int64_t> unseen;
    for (size_t i : indexes)
      if (auto at = now->find(s.uid_at(i)); at && !(now->flags[*at] & mail::kSeen)) unseen.push_back(s.uid_at(i));
    if (!unseen.empty()) {
      store::FlagStore edit;
      edit.flags = mail::kSeen;
      auto result = co_await c.ctx.messages.store_flags(c.actor(), s.view, std::move(unseen), edit);
      for (const auto& change : result.changed) s.note_reported(static_cast<uint32_t>(change.uid), change.modseq);
      bool has_flags = false;
      for (const auto& item : request.items) has_flags = has_flags || item.kind == FetchItem::Kind::flags;
      if (!has_flags) request.items.push_back(FetchItem{FetchItem::Kind::flags});
    }
  }

  auto now = s.now();
  // The messages to report: in the set, still there, changed since CHANGEDSINCE.
  std::vector<std::pair<size_t, size_t>> targets;  // (known index, index in now)
  bool missing = false;
  for (size_t i : indexes) {
    auto at = now->find(s.uid_at(i));
    if (!at) {
      missing = true;
      continue;
    }
    if (request.changed_since && now->modseqs[*at] <= *request.changed_since) continue;
    targets.emplace_back(i, *at);
  }

  // In chunks: rows and bodies are read for a chunk at a time, and its responses go out before
  // the next is read, so a FETCH of a whole large mailbox never sits in memory at once.
  constexpr size_t kChunk = 128;
  bool condstore = c.session.condstore;
  std::vector<std::optional<store::MessageRecord>> rows;
  size_t chunk_begin = 0, chunk_end = 0;
  auto format = [&] {
    std::string out;
    for (size_t k = chunk_begin; k < chunk_end; ++k) {
      auto [i, at] = targets[k];
      uint32_t uid = now->uids[at];
      MessageData d;
      if (request.needs_row) {
        auto& row = rows[k - chunk_begin];
        if (!row) {
          missing = true;
          continue;
        }
        d.row = &*row;
        if (request.needs_text) d.text = c.ctx.messages.message_text(*d.row);
        else if (request.needs_header) d.header = c.ctx.messages.header_text(*d.row);
      }
      out += "* " + std::to_string(i + 1) + " FETCH (";
      bool first = true, has_flags = false, has_modseq = false;
      for (const auto& item : request.items) {
        if (!first) out += ' ';
        first = false;
        write_item(out, item, d, *now, at, uid, s.is_recent(uid), condstore, c.ctx.messages);
        has_flags = has_flags || item.kind == FetchItem::Kind::flags;
        has_modseq = has_modseq || item.kind == FetchItem::Kind::modseq;
      }
      if (condstore && has_flags && !has_modseq) out += " MODSEQ (" + std::to_string(now->modseqs[at]) + ")";
      out += ")\r\n";
    }
    return out;
  };
  for (chunk_begin = 0; chunk_begin < targets.size(); chunk_begin = chunk_end) {
    chunk_end = std::min(targets.size(), chunk_begin + kChunk);
    if (request.needs_row) {
      std::vector<int64_t> uids;
      uids.reserve(chunk_end - chunk_begin);
      for (size_t k = chunk_begin; k < chunk_end; ++k) uids.push_back(now->uids[targets[k].second]);
      rows = c.ctx.messages.full_messages(c.actor(), s.view, uids);
    }
    std::string out;
    if (request.needs_text || request.needs_header) {
      // Reading and cutting message files stays off the network threads.
      co_await run_blocking(c.ctx.blocking, [&] {
        out = format();
        return true;
      });
    } else {
      out = format();
    }
    c.out += out;
    if (chunk_end < targets.size()) co_await c.flush(c.out);
  }
  if (missing) {
    c.status = "NO";
    c.code = "EXPUNGEISSUED";
    c.text = "some of the requested messages no longer exist";
  }
}

const CommandSpec kCommands[] = {
    {"FETCH", fetch, nullptr, kSelected},
    {"UID FETCH", fetch, nullptr, kSelected},
};

}  // namespace

std::span<const CommandSpec> fetch_commands() { return kCommands; }

}  // namespace ximssd::imap
