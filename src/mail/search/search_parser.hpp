// Parsing the text of an IMAP SEARCH (RFC 3501 section 6.4.4: what follows the word SEARCH)
// into a query: every RFC 3501 key, plus YOUNGER and OLDER (RFC 5032), sequence sets,
// parenthesised lists, quoted strings, atoms and literals ("{n}" CRLF and n bytes, inline), and
// an optional leading CHARSET. The input is untrusted: its size, nesting and number of keys are
// bounded, and anything malformed is a Failure(badRequest) saying what and where.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "mail/search/search_query.hpp"

namespace ximssd::mail::search {

inline constexpr size_t kMaxSearchText = 64 * 1024;  // bytes of query text
inline constexpr int kMaxSearchDepth = 64;           // nested lists, NOTs and ORs
inline constexpr size_t kMaxSearchKeys = 1024;       // keys in all, at every level

// The query's CHARSET is one no converter knows. IMAP answers NO [BADCHARSET]; for everyone
// else it is an ordinary badRequest.
class UnknownCharset : public Failure {
 public:
  explicit UnknownCharset(std::string charset);
  const std::string& charset() const noexcept { return charset_; }

 private:
  std::string charset_;
};

// Strings are converted from the query's CHARSET to UTF-8 (UTF-8 and US-ASCII need no
// conversion, and strings must then be valid UTF-8; any charset iconv knows is converted).
// Throws UnknownCharset, or Failure(badRequest, "<what> at offset N").
SearchQuery parse_search(std::string_view text);

}  // namespace ximssd::mail::search
