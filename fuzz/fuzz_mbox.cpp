// The mbox reader on arbitrary bytes: every message it yields is non-empty, and the reader
// either finishes or reports a clear error.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "base/error.hpp"
#include "mail/mbox_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  size_t total = 0;
  try {
    ximssd::mail::read_mbox(in, "fuzz", [&](ximssd::mail::IncomingMessage&& m) {
      if (m.bytes.empty()) __builtin_trap();
      total += m.bytes.size();
    });
  } catch (const ximssd::Failure&) {
  }
  if (total > size) __builtin_trap();  // unquoting and LF-normalising only ever shrink
  return 0;
}
