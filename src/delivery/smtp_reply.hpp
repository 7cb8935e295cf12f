// The SMTP client's text handling, without I/O (and without coroutines, so the fuzzers can
// link it): reading replies, DATA's dot-stuffing, RFC 3461 xtext.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "delivery/envelope.hpp"

namespace ximssd::delivery {

// The message as DATA sends it: CRLF line ends, a '.' doubled at the start of a line, and the
// terminating ".\r\n".
std::string dot_stuff(std::string_view message);
// RFC 3461 xtext: '+', '=' and bytes outside '!'..'~' as "+HH".
std::string xtext(std::string_view value);

struct SmtpReply {
  int code = 0;
  std::vector<std::string> lines;  // the text of each line, after "NNN-" / "NNN "
  // The reply as an Outcome: the enhanced code when the last line starts with one, else the
  // code class's ("4.0.0"); the text of the last line without it.
  Outcome outcome() const;
};

// Feeds one line (without CRLF) into a reply being read; returns true when the reply is complete.
// Throws std::runtime_error for a line that is not a reply line.
bool add_reply_line(SmtpReply& reply, std::string_view line);

}  // namespace ximssd::delivery
