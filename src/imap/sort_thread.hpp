// SORT and THREAD (RFC 5256, with RFC 5957's DISPLAYFROM and DISPLAYTO) on messages the caller
// has already read: the base subject, the sort criteria and their order, and the two threading
// algorithms with their response text. No I/O and no coroutines: the server gathers the fields
// (from its cached columns) and calls these; the fuzzers drive the readers.
//
// Strings are compared as I18NLEVEL=1 requires (RFC 5256 section 1, RFC 5255): by the
// i;unicode-casemap collation of RFC 5051, each character titlecased and then decomposed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imap/command_parser.hpp"

namespace ximssd::imap {

// RFC 5256 section 2.1: the base subject ("Re:", "Fw:", "Fwd:" leaders, "[blob]" prefixes,
// "(fwd)" trailers and "[fwd: ...]" wrappers removed, whitespace runs collapsed to one space).
// The input is already decoded (RFC 2047) UTF-8; the result keeps its case.
std::string base_subject(std::string_view subject);

// One message as SORT and THREAD need it. `id` is what the response reports (a sequence
// number or a UID); ids are distinct and ascend in mailbox order.
struct SortThreadMessage {
  uint32_t id = 0;
  int64_t internal_date = 0;         // ARRIVAL
  std::optional<int64_t> sent_date;  // DATE (the Date: header in UTC; absent or unparsable: none)
  int64_t size = 0;                  // SIZE
  std::string subject;               // decoded Subject
  std::string from_mailbox, to_mailbox, cc_mailbox;  // addr-mailbox of the first address, lowercased
  std::string from_display, to_display;  // RFC 5957 DISPLAY: display name or else addr-spec
  std::string message_id, in_reply_to, references;  // raw header values (THREAD=REFERENCES)
};

enum class SortField { arrival, cc, date, from, size, subject, to, display_from, display_to };
struct SortCriterion {
  SortField field;
  bool reverse = false;
  bool operator==(const SortCriterion&) const = default;
};

// Reads "(" sort-criterion *(SP sort-criterion) ")", sort-criterion = ["REVERSE" SP] sort-key,
// the keys of RFC 5256 (ARRIVAL CC DATE FROM SIZE SUBJECT TO) and RFC 5957 (DISPLAYFROM
// DISPLAYTO), case-insensitively. Throws SyntaxError.
std::vector<SortCriterion> read_sort_criteria(ArgumentReader& args);

// The messages' ids in sort order. Messages equal by every criterion keep mailbox order (ids
// ascending): RFC 5256's implicit last criterion, which REVERSE does not reverse. DATE falls
// back to the internal date when there is no sent date (section 2.2).
std::vector<uint32_t> sort_messages(std::span<const SortThreadMessage> messages,
                                    std::span<const SortCriterion> criteria);

enum class ThreadAlgorithm { orderedsubject, references };

// Reads the algorithm name (an atom, case-insensitively); throws SyntaxError for one this
// server does not implement, which the server answers with BAD.
ThreadAlgorithm read_thread_algorithm(ArgumentReader& args);

// The THREAD response data that follows "* THREAD ", e.g. "(2)(3 6 (4 23)(44 7 96))"; empty
// for no messages. A parent with one child is written "(1 2)", with several "(1 (2)(3))", and
// a thread whose root message is missing "((3)(5))".
std::string thread_messages(std::span<const SortThreadMessage> messages, ThreadAlgorithm algorithm);

}  // namespace ximssd::imap
