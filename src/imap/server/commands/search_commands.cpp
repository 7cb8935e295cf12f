// SEARCH (RFC 3501 section 6.4.4) with ESEARCH's RETURN options (RFC 4731), SEARCHRES's SAVE
// and "$" (RFC 5182) and CONDSTORE's MODSEQ (RFC 7162); SORT and THREAD (RFC 5256). The
// criteria are the shared IMAP SEARCH evaluator's (mail/search), over rows made from the shared
// mailbox version and its cache of message texts (MailboxIndex); the message sequence is the
// one this session's client knows.
#include <algorithm>
#include <ctime>

#include "base/run_blocking.hpp"
#include "base/text.hpp"
#include "imap/response_text.hpp"
#include "imap/server/command.hpp"
#include "imap/server/message_set.hpp"
#include "imap/sort_thread.hpp"
#include "mail/search/search_eval.hpp"
#include "mail/search/search_parser.hpp"
#include "mail/search/search_text.hpp"

namespace ximssd::imap {

namespace {

using boost::asio::awaitable;
using mail::search::SearchKey;
using mail::search::SearchKeyKind;

// Keys the shared mailbox version answers alone (flags, keywords, UIDs, sequence numbers,
// modseqs, \Recent): such searches need no snapshot of the mailbox's rows.
bool version_answers(const SearchKey& key) {
  switch (key.kind) {
    case SearchKeyKind::and_: case SearchKeyKind::or_: case SearchKeyKind::not_: case SearchKeyKind::all:
    case SearchKeyKind::answered: case SearchKeyKind::deleted: case SearchKeyKind::draft: case SearchKeyKind::flagged:
    case SearchKeyKind::seen: case SearchKeyKind::unanswered: case SearchKeyKind::undeleted:
    case SearchKeyKind::undraft: case SearchKeyKind::unflagged: case SearchKeyKind::unseen:
    case SearchKeyKind::keyword: case SearchKeyKind::unkeyword: case SearchKeyKind::new_: case SearchKeyKind::old:
    case SearchKeyKind::recent: case SearchKeyKind::uid: case SearchKeyKind::sequence_set: case SearchKeyKind::modseq:
      break;
    default:
      return false;
  }
  for (const auto& child : key.children)
    if (!version_answers(child)) return false;
  return true;
}

bool uses_modseq(const SearchKey& key) {
  if (key.kind == SearchKeyKind::modseq) return true;
  for (const auto& child : key.children)
    if (uses_modseq(child)) return true;
  return false;
}

// The query text with "$" standing alone replaced by a marker the evaluator will not see
// (the SEARCH parser reads sequence sets of digits only).
std::string take_saved_marker(std::string_view text, bool& found) {
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    bool start = i == 0 || out[i - 1] == ' ' || out[i - 1] == '(';
    bool end = i + 1 == out.size() || out[i + 1] == ' ' || out[i + 1] == ')';
    if (out[i] == '$' && start && end) {
      out.replace(i, 1, "4294967295");
      found = true;
    }
  }
  return out;
}

struct Matches {
  std::vector<size_t> indexes;  // known-sequence indexes, ascending
  int64_t highest_modseq = 0;
};

// The rows a search reads, one per message of the client's sequence; kept by each blocking
// thread between searches, so that a row still holding the same message is only patched.
thread_local std::vector<store::MessageRecord> search_rows;

// Evaluates the criteria (text after SEARCH's options, CHARSET included) over the client's
// sequence. With `with_texts` (SORT, THREAD) every row gets its texts, whatever the criteria.
Matches run_search(CommandContext& c, std::string_view criteria, bool with_texts = false) {
  bool saved = false;
  std::string text = take_saved_marker(criteria, saved);
  mail::search::SearchQuery query;
  try {
    query = mail::search::parse_search(text);
  } catch (const mail::search::UnknownCharset&) {
    throw;
  } catch (const Failure& e) {
    throw SyntaxError(e.what(), 0);  // malformed criteria are a bad command
  }
  if (saved) {
    // The marker parsed as the number 4294967295: turn it into the saved UIDs.
    std::function<void(SearchKey&)> fix = [&](SearchKey& key) {
      if ((key.kind == SearchKeyKind::sequence_set || key.kind == SearchKeyKind::uid) && key.set.size() == 1 &&
          key.set[0].first == 4294967295u && key.set[0].last == 4294967295u) {
        key.kind = SearchKeyKind::uid;
        key.set.clear();
        for (uint32_t u : c.session.saved_result) key.set.push_back({u, u});
        if (key.set.empty()) {
          key.kind = SearchKeyKind::not_;
          key.children = {SearchKey{}};
        }
      }
      for (auto& child : key.children) fix(child);
    };
    fix(query.root);
  }
  if (uses_modseq(query.root)) c.session.condstore = true;
  auto& s = c.selected();
  c.ctx.messages.current_mailbox(c.actor(), s.view, mail::right::read);  // the rights as they are now
  auto now = s.now();
  auto uids = s.known_uids();
  auto& scratch = search_rows;
  bool rows_needed = with_texts || !version_answers(query.root);
  if (rows_needed) {
    // Dates, sizes and texts: from the mailbox's cache of what never changes.
    c.ctx.index.fill_rows(s.entry(), *now, uids, scratch);
  } else {
    // Flags, keywords, UIDs, sequence numbers and modseqs: from the version alone.
    if (scratch.size() < uids.size()) scratch.resize(uids.size());
    for (size_t i = 0; i < uids.size(); ++i) {
      auto& row = scratch[i];
      if (row.uid != uids[i] || row.mailbox_id != s.mailbox_id()) row.blob_id.clear();  // another message's texts
      row.uid = uids[i];
      row.mailbox_id = s.mailbox_id();
      auto at = now->find(uids[i]);
      if (!at) continue;
      row.flags = now->flags[*at];
      row.modseq = now->modseqs[*at];
      row.keywords = now->keywords_of(*at);
    }
  }
  // A message erased since the client was told of it stands in as an empty row, left out.
  static const store::MessageRecord kGone{};
  std::vector<const store::MessageRecord*> rows;
  rows.reserve(uids.size());
  for (size_t i = 0; i < uids.size(); ++i) {
    bool gone = rows_needed ? scratch[i].blob_id.empty() : !now->find(uids[i]);
    rows.push_back(gone ? &kGone : &scratch[i]);
  }
  // A message erased before its texts were ever read has no body to read: it searches as empty
  // (and is left out below) rather than failing the whole SEARCH.
  mail::search::SearchContext context{rows,
                                      [&](const store::MessageRecord& m) {
                                        return m.blob_id.empty() ? std::string() : c.ctx.messages.header_text(m);
                                      },
                                      [&](const store::MessageRecord& m) {
                                        return m.blob_id.empty() ? std::string() : c.ctx.messages.message_text(m);
                                      },
                                      std::time(nullptr),
                                      "",
                                      [&](int64_t uid) { return s.is_recent(static_cast<uint32_t>(uid)); }};
  Matches out;
  for (size_t i : mail::search::evaluate(query, context)) {
    if (rows[i] == &kGone) continue;
    out.indexes.push_back(i);
    out.highest_modseq = std::max(out.highest_modseq, rows[i]->modseq);
  }
  return out;
}

awaitable<void> search(CommandContext& c) {
  c.uses_sequence_numbers = !c.uid();
  c.args.sp();
  // RETURN (options): the ESEARCH form.
  bool esearch = false, want_min = false, want_max = false, want_all = false, want_count = false, save = false;
  if (c.args.accept_word("RETURN")) {
    esearch = true;
    c.args.sp();
    c.args.list_begin();
    for (bool first = true; !c.args.accept_list_end(); first = false) {
      if (!first) c.args.sp();
      std::string option = ascii_upper(c.args.atom());
      if (option == "MIN") want_min = true;
      else if (option == "MAX") want_max = true;
      else if (option == "ALL") want_all = true;
      else if (option == "COUNT") want_count = true;
      else if (option == "SAVE") save = true;
      else c.args.fail("unknown RETURN option " + option);
    }
    if (!want_min && !want_max && !want_count && !want_all && !save) want_all = true;  // RETURN ()
    c.args.sp();
  }
  std::string criteria(c.args.rest());
  Matches matches;
  co_await run_blocking(c.ctx.blocking, [&] {
    matches = run_search(c, criteria);
    return true;
  });
  auto& s = c.selected();
  auto id_of = [&](size_t i) -> int64_t { return c.uid() ? s.uid_at(i) : static_cast<int64_t>(i + 1); };
  if (save) {
    // RFC 5182 2.1: with MIN or MAX (and not ALL or COUNT) only those are saved.
    c.session.saved_result.clear();
    if ((want_min || want_max) && !want_all && !want_count) {
      if (!matches.indexes.empty()) {
        if (want_min) c.session.saved_result.push_back(s.uid_at(matches.indexes.front()));
        if (want_max && (!want_min || matches.indexes.size() > 1))
          c.session.saved_result.push_back(s.uid_at(matches.indexes.back()));
      }
    } else {
      for (size_t i : matches.indexes) c.session.saved_result.push_back(s.uid_at(i));
    }
    if (!want_min && !want_max && !want_count && !want_all) co_return;  // SAVE alone: no ESEARCH
  }
  bool modseq = c.session.condstore && matches.highest_modseq > 0 && !matches.indexes.empty() &&
                criteria.find("MODSEQ") != std::string::npos;
  if (!esearch) {
    std::string line = "SEARCH";
    for (size_t i : matches.indexes) line += " " + std::to_string(id_of(i));
    if (modseq) line += " (MODSEQ " + std::to_string(matches.highest_modseq) + ")";
    c.untagged(line);
    co_return;
  }
  std::string line = "ESEARCH (TAG ";
  append_string(line, c.tag);
  line += ")";
  if (c.uid()) line += " UID";
  if (!matches.indexes.empty()) {
    if (want_min) line += " MIN " + std::to_string(id_of(matches.indexes.front()));
    if (want_max) line += " MAX " + std::to_string(id_of(matches.indexes.back()));
    if (want_all) {
      std::vector<int64_t> ids;
      for (size_t i : matches.indexes) ids.push_back(id_of(i));
      line += " ALL " + format_number_set(ids);
    }
  }
  if (want_count) line += " COUNT " + std::to_string(matches.indexes.size());
  if (modseq) line += " MODSEQ " + std::to_string(matches.highest_modseq);
  c.untagged(line);
}

// The first address of a cached display-form field ("Name <local@domain>, ..."): its local part
// (lowercased) and its display name (or the address when it has none).
std::pair<std::string, std::string> first_address(std::string_view field) {
  size_t comma = field.find(',');
  std::string_view first = field.substr(0, comma);
  std::string_view address = first, name;
  if (size_t lt = first.find('<'); lt != std::string_view::npos) {
    size_t gt = first.find('>', lt);
    address = first.substr(lt + 1, gt == std::string_view::npos ? std::string_view::npos : gt - lt - 1);
    name = first.substr(0, lt);
  }
  std::string display = trim_whitespace(name);
  if (display.size() >= 2 && display.front() == '"' && display.back() == '"') display = display.substr(1, display.size() - 2);
  std::string addr = trim_whitespace(address);
  if (display.empty()) display = addr;
  std::string local = ascii_lower(addr.substr(0, addr.find('@')));
  return {local, display};
}

// The messages SORT or THREAD works on, with the fields they compare, from the rows the search
// just filled (run_search with texts).
std::vector<SortThreadMessage> sort_inputs(CommandContext& c, const std::vector<size_t>& indexes, bool references) {
  auto& s = c.selected();
  std::vector<SortThreadMessage> out;
  out.reserve(indexes.size());
  for (size_t i : indexes) {
    const auto& row = search_rows[i];
    SortThreadMessage m;
    m.id = c.uid() ? s.uid_at(i) : static_cast<uint32_t>(i + 1);
    m.internal_date = row.internal_date;
    m.sent_date = row.header.sent_date;
    m.size = row.size;
    m.subject = row.header.subject;
    std::tie(m.from_mailbox, m.from_display) = first_address(row.header.from);
    std::tie(m.to_mailbox, m.to_display) = first_address(row.header.to);
    m.cc_mailbox = first_address(row.header.cc).first;
    // The store keeps Message-IDs without their angle brackets; threading reads them with.
    if (!row.header.message_id.empty()) m.message_id = "<" + row.header.message_id + ">";
    if (references) {
      for (const auto& field : mail::search::header_fields(c.ctx.messages.header_text(row))) {
        if (iequals(field.name, "References")) m.references = field.value;
        else if (iequals(field.name, "In-Reply-To")) m.in_reply_to = field.value;
        else if (iequals(field.name, "Message-ID") && m.message_id.empty()) m.message_id = field.value;
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

awaitable<void> sort(CommandContext& c) {
  c.uses_sequence_numbers = !c.uid();
  c.args.sp();
  auto criteria = read_sort_criteria(c.args);
  c.args.sp();
  std::string charset = c.args.astring();  // required by SORT and THREAD
  c.args.sp();
  std::string rest = "CHARSET " + charset + " " + std::string(c.args.rest());
  std::string line = "SORT";
  co_await run_blocking(c.ctx.blocking, [&] {
    auto matches = run_search(c, rest, true);
    auto inputs = sort_inputs(c, matches.indexes, false);
    for (uint32_t id : sort_messages(inputs, criteria)) line += " " + std::to_string(id);
    return true;
  });
  c.untagged(line);
}

awaitable<void> thread(CommandContext& c) {
  c.uses_sequence_numbers = !c.uid();
  c.args.sp();
  auto algorithm = read_thread_algorithm(c.args);
  c.args.sp();
  std::string charset = c.args.astring();
  c.args.sp();
  std::string rest = "CHARSET " + charset + " " + std::string(c.args.rest());
  std::string line = "THREAD";
  co_await run_blocking(c.ctx.blocking, [&] {
    auto matches = run_search(c, rest, true);
    auto inputs = sort_inputs(c, matches.indexes, algorithm == ThreadAlgorithm::references);
    std::string threads = thread_messages(inputs, algorithm);
    if (!threads.empty()) line += " " + threads;
    return true;
  });
  c.untagged(line);
}

const CommandSpec kCommands[] = {
    {"SEARCH", search, nullptr, kSelected}, {"UID SEARCH", search, nullptr, kSelected}, {"SORT", sort, nullptr, kSelected},
    {"UID SORT", sort, nullptr, kSelected}, {"THREAD", thread, nullptr, kSelected},     {"UID THREAD", thread, nullptr, kSelected},
};

}  // namespace

std::span<const CommandSpec> search_commands() { return kCommands; }

}  // namespace ximssd::imap
