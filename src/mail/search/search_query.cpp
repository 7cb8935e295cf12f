#include "mail/search/search_query.hpp"

#include <date/date.h>

#include <cstdio>

#include "mail/search/search_syntax.hpp"

namespace ximssd::mail::search {

const char* key_name(SearchKeyKind kind) {
  using K = SearchKeyKind;
  switch (kind) {
    case K::and_: return "(";
    case K::or_: return "OR";
    case K::not_: return "NOT";
    case K::all: return "ALL";
    case K::answered: return "ANSWERED";
    case K::bcc: return "BCC";
    case K::before: return "BEFORE";
    case K::body: return "BODY";
    case K::cc: return "CC";
    case K::deleted: return "DELETED";
    case K::draft: return "DRAFT";
    case K::flagged: return "FLAGGED";
    case K::from: return "FROM";
    case K::header: return "HEADER";
    case K::keyword: return "KEYWORD";
    case K::larger: return "LARGER";
    case K::new_: return "NEW";
    case K::old: return "OLD";
    case K::on: return "ON";
    case K::recent: return "RECENT";
    case K::seen: return "SEEN";
    case K::sent_before: return "SENTBEFORE";
    case K::sent_on: return "SENTON";
    case K::sent_since: return "SENTSINCE";
    case K::since: return "SINCE";
    case K::smaller: return "SMALLER";
    case K::subject: return "SUBJECT";
    case K::text: return "TEXT";
    case K::to: return "TO";
    case K::uid: return "UID";
    case K::unanswered: return "UNANSWERED";
    case K::undeleted: return "UNDELETED";
    case K::undraft: return "UNDRAFT";
    case K::unflagged: return "UNFLAGGED";
    case K::unkeyword: return "UNKEYWORD";
    case K::unseen: return "UNSEEN";
    case K::sequence_set: return "";
    case K::younger: return "YOUNGER";
    case K::modseq: return "MODSEQ";
    case K::older: return "OLDER";
  }
  return "";
}

namespace {

std::string astring(const std::string& s) {
  bool atom = !s.empty();
  bool quotable = true;
  for (char c : s) {
    if (!is_astring_char(c)) atom = false;
    if (c == '\r' || c == '\n' || c == '\0') quotable = false;
  }
  if (atom) return s;
  if (!quotable) return "{" + std::to_string(s.size()) + "}\r\n" + s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

std::string day_text(int64_t days) {
  date::year_month_day ymd{date::sys_days{date::days{days}}};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%u-%s-%04d", static_cast<unsigned>(ymd.day()),
                kMonths[(static_cast<unsigned>(ymd.month()) + 11) % 12], static_cast<int>(ymd.year()));
  return buf;
}

std::string set_text(const std::vector<SequenceRange>& set) {
  auto number = [](uint32_t n) { return n == SequenceRange::kStar ? std::string("*") : std::to_string(n); };
  std::string out;
  for (const auto& range : set) {
    if (!out.empty()) out += ',';
    out += number(range.first);
    if (range.last != range.first) out += ':' + number(range.last);
  }
  return out;
}

std::string list_text(const std::vector<SearchKey>& keys) {
  std::string out;
  for (const auto& key : keys) {
    if (!out.empty()) out += ' ';
    out += to_string(key);
  }
  return out;
}

}  // namespace

std::string to_string(const SearchKey& key) {
  using K = SearchKeyKind;
  std::string name = key_name(key.kind);
  switch (key.kind) {
    case K::and_: return "(" + list_text(key.children) + ")";
    case K::or_:
    case K::not_: return name + " " + list_text(key.children);
    case K::bcc:
    case K::body:
    case K::cc:
    case K::from:
    case K::subject:
    case K::text:
    case K::to: return name + " " + astring(key.text);
    case K::header: return name + " " + astring(key.field) + " " + astring(key.text);
    case K::keyword:
    case K::unkeyword: return name + " " + key.text;
    case K::before:
    case K::on:
    case K::since:
    case K::sent_before:
    case K::sent_on:
    case K::sent_since: return name + " " + day_text(key.number);
    case K::larger:
    case K::smaller:
    case K::younger:
    case K::older:
    case K::modseq: return name + " " + std::to_string(key.number);
    case K::uid: return name + " " + set_text(key.set);
    case K::sequence_set: return set_text(key.set);
    default: return name;
  }
}

std::string to_string(const SearchQuery& query) { return list_text(query.root.children); }

}  // namespace ximssd::mail::search
