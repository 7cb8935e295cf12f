// Evaluating a parsed IMAP SEARCH against a mailbox's messages. Most keys are answered from the
// store's row (flags, keywords, dates, size, UID, sequence number, and the cached Subject, From,
// To, Cc and Date); the header is read only for HEADER, BCC, fields the row does not cache and
// Date fields near a day boundary, and the whole message only for BODY and TEXT. Strings match
// as case-insensitive substrings of the decoded text (search_text.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mail/search/search_query.hpp"
#include "store/records.hpp"

namespace ximssd::mail::search {

struct SearchContext {
  // The messages in sequence order: message i has sequence number i + 1. (The caller's rows,
  // not copies: a search over a large mailbox reads them in place.)
  const std::vector<const store::MessageRecord*>& messages;
  // A message's header block, and its whole text (MessageService::header_text, message_text).
  // Either may be left empty: a missing header is then cut from the whole text, and a missing
  // whole text searches as an empty body.
  std::function<std::string(const store::MessageRecord&)> header_text, message_text;
  // Seconds since the epoch, for YOUNGER and OLDER; 0 means the current time.
  int64_t now = 0;
  // The zone whose days BEFORE, ON and SINCE count internal dates in (an IANA name); "" or
  // "HostOS" (or an unknown name) means the server's own zone.
  std::string time_zone;
  // Which messages are \Recent (IMAP's session knows); when empty, none is.
  std::function<bool(int64_t uid)> is_recent;
};

using SearchDeadline = std::chrono::steady_clock::time_point;

// The indexes (into ctx.messages) of the messages that match, in order. When `deadline` passes
// before the search is done it throws Failure(limitExceeded, "search timed out").
std::vector<size_t> evaluate(const SearchQuery& query, const SearchContext& ctx,
                             std::optional<SearchDeadline> deadline = {});

// A search that may stop early and be resumed (folderSearch's limit, timeout and "next").
struct SearchBounds {
  size_t first = 0;                      // the index of the first message to examine
  size_t max_matches = SIZE_MAX;         // stop once this many have matched
  std::optional<SearchDeadline> deadline;  // stop once this has passed (after one message at least)
};
struct SearchProgress {
  std::vector<size_t> matches;  // indexes, in order
  // The index of the first message not examined, when the search stopped before the end.
  std::optional<size_t> next;
};
SearchProgress evaluate_partially(const SearchQuery& query, const SearchContext& ctx, const SearchBounds& bounds);

}  // namespace ximssd::mail::search
