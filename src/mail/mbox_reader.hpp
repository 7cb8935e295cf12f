// Reading mail folders from files: mbox (mboxrd and mboxo: "From " separator lines, ">From "
// unquoted, line ends made LF) and Maildir (cur/ and new/, flags from the ":2," suffix).
// Coroutine-free, so that the fuzz target can link it alone.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <string>

namespace ximssd::mail {

struct IncomingMessage {
  std::string bytes;  // RFC 5322 text, stored byte for byte
  uint32_t flags = 0;
  std::string keywords;
  int64_t internal_date = 0;  // seconds since the epoch; 0 = now
};

// Calls `sink` for each message of the mbox file, in order. Throws Failure on I/O errors and
// when the file does not start like an mbox.
void read_mbox(const std::string& path, const std::function<void(IncomingMessage&&)>& sink);
void read_mbox(std::istream& in, const std::string& name, const std::function<void(IncomingMessage&&)>& sink);
// Calls `sink` for each message of the Maildir (cur/ and new/, in name order).
void read_maildir(const std::string& path, const std::function<void(IncomingMessage&&)>& sink);

}  // namespace ximssd::mail
