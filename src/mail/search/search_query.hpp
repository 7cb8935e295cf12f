// A parsed IMAP SEARCH (RFC 3501 section 6.4.4) as a tree of keys: what search_parser.hpp
// produces and search_eval.hpp evaluates. XIMSS folderSearch takes the same grammar.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ximssd::mail::search {

enum class SearchKeyKind : uint8_t {
  and_,  // every child matches: the implicit AND of a key list, or a parenthesised list
  or_,   // either of the two children matches
  not_,  // the one child does not match
  all,
  answered,
  bcc,
  before,
  body,
  cc,
  deleted,
  draft,
  flagged,
  from,
  header,
  keyword,
  larger,
  new_,
  old,
  on,
  recent,
  seen,
  sent_before,
  sent_on,
  sent_since,
  since,
  smaller,
  subject,
  text,
  to,
  uid,
  unanswered,
  undeleted,
  undraft,
  unflagged,
  unkeyword,
  unseen,
  sequence_set,  // a bare sequence set: message sequence numbers
  younger,       // RFC 5032 (WITHIN): the internal date is at most `number` seconds old
  older,         // RFC 5032: the internal date is more than `number` seconds old
  modseq,        // RFC 7162 (CONDSTORE): the message's modseq is at least `number`
};

// One element of a sequence set: a number or a range; kStar stands for "*" (the largest UID or
// the last sequence number, resolved at evaluation). A range may be given in either order.
struct SequenceRange {
  static constexpr uint32_t kStar = 0;
  uint32_t first = kStar;
  uint32_t last = kStar;
  bool operator==(const SequenceRange&) const = default;
};

struct SearchKey {
  SearchKeyKind kind = SearchKeyKind::all;
  // HEADER: the field name as given.
  std::string field;
  // The string of BCC, BODY, CC, FROM, HEADER, SUBJECT, TEXT, TO (UTF-8, converted from the
  // query's charset), or the flag keyword of KEYWORD and UNKEYWORD.
  std::string text;
  // LARGER and SMALLER: octets. YOUNGER and OLDER: seconds. The date keys (BEFORE, ON, SINCE,
  // SENT*): the day, as days since 1970-01-01.
  int64_t number = 0;
  // UID and bare sequence sets, in the order given.
  std::vector<SequenceRange> set;
  // and_: one or more keys; or_: exactly two; not_: exactly one.
  std::vector<SearchKey> children;

  bool operator==(const SearchKey&) const = default;
};

struct SearchQuery {
  SearchKey root;       // always of kind and_
  std::string charset;  // the CHARSET the query named, as given; "" when none
  bool operator==(const SearchQuery&) const = default;
};

// The query as IMAP SEARCH text (without the word SEARCH and without CHARSET: strings are
// UTF-8) that parses back to the same tree. Strings that cannot be quoted become literals.
std::string to_string(const SearchQuery& query);
std::string to_string(const SearchKey& key);

// The keyword IMAP uses for a kind ("SENTBEFORE" for sent_before, "(" for and_).
const char* key_name(SearchKeyKind kind);

}  // namespace ximssd::mail::search
