// The IMAP SEARCH parser on arbitrary bytes: it parses or throws Failure, nothing else; what it
// parses prints as text that parses back to the same query; and the query evaluates against
// three fixed messages (one of them a row without cached header fields) without crashing.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "mail/message_flags.hpp"
#include "mail/search/search_eval.hpp"
#include "mail/search/search_parser.hpp"

using namespace ximssd;
using namespace ximssd::mail::search;

namespace {

const std::vector<std::string>& texts() {
  static const std::vector<std::string> kTexts = {
      "Date: Tue, 1 Feb 1994 10:00:00 +0000\r\nFrom: John Smith <smith@example.com>\r\n"
      "To: alice@example.com\r\nSubject: Meeting\r\nX-Foo: bar\r\n\r\nLet's meet at noon.\r\n",
      "Date: Wed, 2 Feb 1994 00:30:00 +0100\r\nFrom: =?ISO-8859-1?Q?J=F6rg?= <j@example.de>\r\n"
      "Subject: =?UTF-8?B?0J/RgNC40LLQtdGC?=\r\nBcc: audit@example.com\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe\r\n--b\r\nContent-Type: text/html\r\n\r\n"
      "<p>Hello <b>World</b></p>\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nin\r\n--b--\r\n",
      "From: legacy@example.com\r\nSubject: old row\r\n\r\nbody\r\n",
  };
  return kTexts;
}

std::vector<store::MessageRecord> records() {
  std::vector<store::MessageRecord> out(3);
  out[0].uid = 4;
  out[0].flags = mail::kSeen | mail::kFlagged;
  out[0].keywords = "$Work";
  out[0].internal_date = 760143600;
  out[0].header = {.header_size = 140, .sent_date = 760096800, .subject = "Meeting",
                   .from = "John Smith <smith@example.com>", .to = "alice@example.com"};
  out[1].uid = 9;
  out[1].flags = mail::kJunk;
  out[1].internal_date = 760147200;
  out[1].header = {.header_size = 200, .sent_date = 760145400, .subject = "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",
                   .from = "J\xC3\xB6rg <j@example.de>"};
  out[2].uid = 30;
  out[2].internal_date = 760150800;  // no cached fields: header_size is 0
  for (size_t i = 0; i < out.size(); ++i) out[i].size = static_cast<int64_t>(texts()[i].size());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  SearchQuery query;
  try {
    query = parse_search(text);
  } catch (const Failure&) {
    return 0;
  }
  std::string printed = to_string(query);
  // Escapes and literals can make the printed form longer than the limit the input met.
  if (printed.size() <= kMaxSearchText) {
    try {
      if (!(parse_search(printed).root == query.root)) __builtin_trap();
    } catch (const Failure&) {
      __builtin_trap();
    }
  }
  static const std::vector<store::MessageRecord> kRecords = records();
  static const std::vector<const store::MessageRecord*> kRows = [] {
    std::vector<const store::MessageRecord*> rows;
    for (const auto& record : kRecords) rows.push_back(&record);
    return rows;
  }();
  SearchContext ctx{
      .messages = kRows,
      .header_text = [](const store::MessageRecord& m) { return texts()[m.uid == 4 ? 0 : m.uid == 9 ? 1 : 2]; },
      .message_text = [](const store::MessageRecord& m) { return texts()[m.uid == 4 ? 0 : m.uid == 9 ? 1 : 2]; },
      .now = 760200000,
      .time_zone = size % 2 ? "Europe/Berlin" : "UTC",
      .is_recent = [](int64_t uid) { return uid > 5; },
  };
  try {
    auto matches = evaluate(query, ctx, std::chrono::steady_clock::now() + std::chrono::seconds(10));
    for (size_t i = 0; i < matches.size(); ++i)
      if (matches[i] >= kRecords.size() || (i > 0 && matches[i] <= matches[i - 1])) __builtin_trap();
  } catch (const Failure& failure) {
    if (failure.code() != ErrorCode::limitExceeded) __builtin_trap();
  }
  return 0;
}
