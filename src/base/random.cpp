#include "base/random.hpp"

#include <sodium.h>

namespace ximssd {

std::string random_alnum(size_t length) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(length, '\0');
  for (auto& c : out) c = alphabet[randombytes_uniform(sizeof alphabet - 1)];
  return out;
}

std::string random_bytes(size_t length) {
  std::string out(length, '\0');
  randombytes_buf(out.data(), out.size());
  return out;
}

uint32_t random_below(uint32_t upper) { return randombytes_uniform(upper); }

}  // namespace ximssd
