#include "delivery/envelope.hpp"

namespace ximssd::delivery {

std::string Outcome::reply_line() const {
  std::string line = std::to_string(code);
  line += ' ';
  if (!enhanced.empty()) line += enhanced + ' ';
  // A reply line never carries a line break, whatever text a failure brought.
  for (char c : text) line += (c == '\r' || c == '\n') ? ' ' : c;
  return line;
}

}  // namespace ximssd::delivery
