#include "mail/search/search_eval.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <utility>

#include "base/error.hpp"
#include "base/text.hpp"
#include "base/time_format.hpp"
#include "mail/message_flags.hpp"
#include "mail/search/search_text.hpp"
#include "mime/part_content.hpp"

namespace ximssd::mail::search {

namespace {

using K = SearchKeyKind;
using store::MessageRecord;

constexpr int64_t kDay = 86400;
// How far a Date field's own zone may move its day from the UTC day of the cached time. GLib
// takes zone offsets of less than a day (GMime reads a larger one as UTC), so a day covers every
// zone. Only sent dates this close to the day a SENT* key asks about make the header be read.
constexpr int64_t kZoneSlack = kDay;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// How much a key costs to answer: AND and OR try the cheap ones first.
enum Cost : int { kRowCost = 0, kHeaderCost = 1, kBodyCost = 2 };

// A key ready to be tested: sets resolved against this mailbox, strings case-folded.
struct Node {
  K kind = K::all;
  std::string needle;  // folded string, or the keyword as given
  std::string field;   // HEADER's field name
  int64_t number = 0;
  uint32_t flag = 0;   // KEYWORD naming one of XIMSS's own flag bits ("$Junk", "Junk")
  std::vector<std::pair<int64_t, int64_t>> ranges;  // sorted, disjoint, inclusive
  std::vector<Node> children;
  int cost = kRowCost;
};

const std::string& cached_text(const MessageRecord& record, K kind) {
  switch (kind) {
    case K::from: return record.header.from;
    case K::to: return record.header.to;
    case K::cc: return record.header.cc;
    default: return record.header.subject;
  }
}

// The row caches header fields only when it was written with them (header_size is then set).
bool has_cached_header(const MessageRecord& record) { return record.header.header_size > 0; }

// XIMSS keeps some flags as bits that IMAP shows as keywords: "$Junk" and "Junk" both name the
// Junk bit. IMAP's system flags are not keywords.
uint32_t keyword_flag(std::string_view keyword) {
  if (!keyword.empty() && keyword.front() == '$') keyword.remove_prefix(1);
  auto bit = flag_bit(keyword);
  if (!bit || (*bit & (kSeen | kAnswered | kFlagged | kDeleted | kDraft))) return 0;
  return *bit;
}

std::vector<std::pair<int64_t, int64_t>> resolve(const std::vector<SequenceRange>& set, int64_t star) {
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (const auto& range : set) {
    int64_t a = range.first == SequenceRange::kStar ? star : range.first;
    int64_t b = range.last == SequenceRange::kStar ? star : range.last;
    ranges.emplace_back(std::min(a, b), std::max(a, b));
  }
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<int64_t, int64_t>> merged;
  for (const auto& range : ranges) {
    if (!merged.empty() && range.first <= merged.back().second + 1)
      merged.back().second = std::max(merged.back().second, range.second);
    else
      merged.push_back(range);
  }
  return merged;
}

bool in_ranges(const std::vector<std::pair<int64_t, int64_t>>& ranges, int64_t value) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), std::pair{value, INT64_MAX});
  return it != ranges.begin() && std::prev(it)->second >= value;
}

const date::time_zone* zone_named(std::string_view name) {
  try {
    if (!name.empty() && name != "HostOS") return date::locate_zone(name);
  } catch (const std::exception&) {
  }
  try {
    return date::current_zone();
  } catch (const std::exception&) {
    return nullptr;  // days count in UTC
  }
}

// What is known about the mailbox when a query is compiled.
struct MailboxFacts {
  int64_t largest_uid = 0;
  int64_t last_sequence = 0;
};

Node compile(const SearchKey& key, const MailboxFacts& facts) {
  Node node;
  node.kind = key.kind;
  node.number = key.number;
  switch (key.kind) {
    case K::and_:
    case K::or_:
    case K::not_:
      for (const auto& child : key.children) {
        node.children.push_back(compile(child, facts));
        node.cost = std::max(node.cost, node.children.back().cost);
      }
      // Keys have no side effects, so the cheap ones may decide first.
      std::stable_sort(node.children.begin(), node.children.end(),
                       [](const Node& a, const Node& b) { return a.cost < b.cost; });
      break;
    case K::from:
    case K::to:
    case K::cc:
    case K::subject: node.needle = fold_case(key.text); break;
    case K::bcc:
    case K::header:
      node.needle = fold_case(key.text);
      node.field = key.kind == K::bcc ? "Bcc" : key.field;
      node.cost = kHeaderCost;
      break;
    case K::body:
    case K::text:
      node.needle = fold_case(key.text);
      node.cost = kBodyCost;
      break;
    case K::keyword:
    case K::unkeyword:
      node.needle = key.text;
      node.flag = keyword_flag(key.text);
      break;
    case K::uid: node.ranges = resolve(key.set, facts.largest_uid); break;
    case K::sequence_set: node.ranges = resolve(key.set, facts.last_sequence); break;
    default: break;
  }
  return node;
}

bool has_keyword(const MessageRecord& record, const Node& node) {
  if (node.flag && (record.flags & node.flag)) return true;
  std::string_view rest = record.keywords;
  while (!rest.empty()) {
    size_t space = rest.find(' ');
    if (iequals(rest.substr(0, space), node.needle)) return true;
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  return false;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

struct FoldedField {
  std::string name;
  std::string value;  // decoded, not folded: Date fields are parsed from it
  std::string folded;
};

// What one message's keys have read so far: nothing is read or folded twice.
class MessageState {
 public:
  MessageState(const MessageRecord& record, const SearchContext& ctx) : record_(record), ctx_(ctx) {}
  const MessageRecord& record() const { return record_; }

  const std::vector<FoldedField>& fields() {
    if (!fields_) {
      // The header is cut from the whole text when that has been read already.
      std::string header;
      if (ctx_.header_text && (!whole_ || !ctx_.message_text)) header = ctx_.header_text(record_);
      else header = whole().substr(0, mime::header_length(whole()));
      fields_.emplace();
      for (auto& field : header_fields(header)) {
        std::string folded = fold_case(field.value);
        fields_->push_back({std::move(field.name), std::move(field.value), std::move(folded)});
      }
    }
    return *fields_;
  }

  // The fields as "name: value" lines, folded, for TEXT.
  const std::string& folded_header() {
    if (!folded_header_) {
      whole();  // TEXT reads the body too: take the header from the same read
      folded_header_.emplace();
      for (const auto& field : fields()) *folded_header_ += fold_case(field.name) + ": " + field.folded + "\n";
    }
    return *folded_header_;
  }

  const std::string& folded_body() {
    if (!folded_body_) folded_body_ = fold_case(body_text(whole()));
    return *folded_body_;
  }

  // A cached field of the row, folded (kind is FROM, TO, CC or SUBJECT).
  const std::string& folded_cached(K kind) {
    size_t slot = kind == K::from ? 0 : kind == K::to ? 1 : kind == K::cc ? 2 : 3;
    if (!cached_[slot]) cached_[slot] = fold_case(cached_text(record_, kind));
    return *cached_[slot];
  }

 private:
  const std::string& whole() {
    if (!whole_) whole_ = ctx_.message_text ? ctx_.message_text(record_) : std::string();
    return *whole_;
  }

  const MessageRecord& record_;
  const SearchContext& ctx_;
  std::optional<std::string> whole_;
  std::optional<std::vector<FoldedField>> fields_;
  std::optional<std::string> folded_header_, folded_body_;
  std::array<std::optional<std::string>, 4> cached_;
};

class Evaluator {
 public:
  Evaluator(const SearchQuery& query, const SearchContext& ctx) : ctx_(ctx), zone_(zone_named(ctx.time_zone)) {
    MailboxFacts facts;
    facts.last_sequence = static_cast<int64_t>(ctx.messages.size());
    for (const auto* message : ctx.messages) facts.largest_uid = std::max(facts.largest_uid, message->uid);
    root_ = compile(query.root, facts);
    now_ = ctx.now ? ctx.now : now_epoch_seconds();
  }

  bool matches(size_t index) {
    MessageState state(*ctx_.messages[index], ctx_);
    return test(root_, state, index);
  }

 private:
  const SearchContext& ctx_;
  const date::time_zone* zone_;
  Node root_;
  int64_t now_ = 0;

  bool recent(const MessageRecord& record) const { return ctx_.is_recent && ctx_.is_recent(record.uid); }

  // The internal date's day in the context's zone.
  int64_t internal_day(const MessageRecord& record) const {
    date::sys_seconds when{std::chrono::seconds{record.internal_date}};
    if (!zone_) return floor_div(record.internal_date, kDay);
    return date::floor<date::days>(zone_->to_local(when)).time_since_epoch().count();
  }

  static bool day_test(K kind, int64_t day, int64_t wanted) {
    switch (kind) {
      case K::before:
      case K::sent_before: return day < wanted;
      case K::on:
      case K::sent_on: return day == wanted;
      default: return day >= wanted;
    }
  }

  // SENT*: the Date field's day in the field's own zone. Without a Date field the internal
  // date stands in (as RFC 5256 does for sorting).
  bool sent_test(const Node& node, MessageState& state) {
    const MessageRecord& record = state.record();
    if (has_cached_header(record)) {
      if (!record.header.sent_date) return day_test(node.kind, internal_day(record), node.number);
      int64_t lowest = floor_div(*record.header.sent_date - kZoneSlack, kDay);
      int64_t highest = floor_div(*record.header.sent_date + kZoneSlack, kDay);
      bool low = day_test(node.kind, lowest, node.number), high = day_test(node.kind, highest, node.number);
      bool decided = node.kind == K::sent_on ? (highest < node.number || lowest > node.number) : low == high;
      if (decided) return low;
    }
    for (const auto& field : state.fields())
      if (iequals(field.name, "Date")) {
        if (auto day = date_field_day(field.value)) return day_test(node.kind, *day, node.number);
        break;
      }
    if (has_cached_header(record) && record.header.sent_date)
      return day_test(node.kind, floor_div(*record.header.sent_date, kDay), node.number);
    return day_test(node.kind, internal_day(record), node.number);
  }

  // Some field named `name` holds the needle; an empty needle asks only for the field.
  static bool field_contains(MessageState& state, std::string_view name, const std::string& needle) {
    for (const auto& field : state.fields())
      if (iequals(field.name, name) && contains(field.folded, needle)) return true;
    return false;
  }

  bool test(const Node& node, MessageState& state, size_t index) {
    const MessageRecord& record = state.record();
    switch (node.kind) {
      case K::and_:
        for (const auto& child : node.children)
          if (!test(child, state, index)) return false;
        return true;
      case K::or_:
        for (const auto& child : node.children)
          if (test(child, state, index)) return true;
        return false;
      case K::not_: return node.children.empty() || !test(node.children.front(), state, index);
      case K::all: return true;
      case K::answered: return record.flags & kAnswered;
      case K::deleted: return record.flags & kDeleted;
      case K::draft: return record.flags & kDraft;
      case K::flagged: return record.flags & kFlagged;
      case K::seen: return record.flags & kSeen;
      case K::unanswered: return !(record.flags & kAnswered);
      case K::undeleted: return !(record.flags & kDeleted);
      case K::undraft: return !(record.flags & kDraft);
      case K::unflagged: return !(record.flags & kFlagged);
      case K::unseen: return !(record.flags & kSeen);
      case K::recent: return recent(record);
      case K::new_: return recent(record) && !(record.flags & kSeen);
      case K::old: return !recent(record);
      case K::keyword: return has_keyword(record, node);
      case K::unkeyword: return !has_keyword(record, node);
      case K::larger: return record.size > node.number;
      case K::smaller: return record.size < node.number;
      case K::before:
      case K::on:
      case K::since: return day_test(node.kind, internal_day(record), node.number);
      case K::sent_before:
      case K::sent_on:
      case K::sent_since: return sent_test(node, state);
      case K::younger: return now_ - record.internal_date <= node.number;
      case K::older: return now_ - record.internal_date > node.number;
      case K::modseq: return record.modseq >= node.number;
      case K::from:
      case K::to:
      case K::cc:
      case K::subject:
        if (has_cached_header(record)) return contains(state.folded_cached(node.kind), node.needle);
        return field_contains(state, key_field_name(node.kind), node.needle);
      case K::bcc:
      case K::header: return field_contains(state, node.field, node.needle);
      case K::body: return contains(state.folded_body(), node.needle);
      case K::text: return contains(state.folded_header(), node.needle) || contains(state.folded_body(), node.needle);
      case K::uid: return in_ranges(node.ranges, record.uid);
      case K::sequence_set: return in_ranges(node.ranges, static_cast<int64_t>(index) + 1);
    }
    return false;
  }

  static std::string_view key_field_name(K kind) {
    switch (kind) {
      case K::from: return "From";
      case K::to: return "To";
      case K::cc: return "Cc";
      default: return "Subject";
    }
  }
};

// The one loop behind both entry points. `throw_on_deadline`: evaluate()'s contract.
SearchProgress run(const SearchQuery& query, const SearchContext& ctx, const SearchBounds& bounds,
                   bool throw_on_deadline) {
  SearchProgress progress;
  size_t count = ctx.messages.size();
  if (bounds.first >= count) return progress;
  if (bounds.max_matches == 0) {
    progress.next = bounds.first;
    return progress;
  }
  Evaluator evaluator(query, ctx);
  for (size_t i = bounds.first; i < count; ++i) {
    if (bounds.deadline && (throw_on_deadline || i > bounds.first) &&
        std::chrono::steady_clock::now() >= *bounds.deadline) {
      if (throw_on_deadline) throw Failure(ErrorCode::limitExceeded, "search timed out");
      progress.next = i;
      return progress;
    }
    if (!evaluator.matches(i)) continue;
    progress.matches.push_back(i);
    if (progress.matches.size() >= bounds.max_matches) {
      if (i + 1 < count) progress.next = i + 1;
      return progress;
    }
  }
  return progress;
}

}  // namespace

std::vector<size_t> evaluate(const SearchQuery& query, const SearchContext& ctx, std::optional<SearchDeadline> deadline) {
  SearchBounds bounds;
  bounds.deadline = deadline;
  return run(query, ctx, bounds, true).matches;
}

SearchProgress evaluate_partially(const SearchQuery& query, const SearchContext& ctx, const SearchBounds& bounds) {
  return run(query, ctx, bounds, false);
}

}  // namespace ximssd::mail::search
