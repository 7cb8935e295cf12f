// Deterministic test messages of varied size, cheap to make: shared by the durability driver
// (tests/tools/append_stress) and the append benchmark (bench/store_append).
#pragma once

#include <cstdint>
#include <string>

namespace ximssd::loadgen {

// A deterministic message of varied size for (seed, client, seq): most are a few KB, one in
// eight is up to ~100 KB. The text is cut from a fixed pseudo-random pool, so making it is cheap.
inline std::string make_message(uint64_t seed, int client, int64_t seq) {
  static const std::string pool = [] {
    std::string text;
    uint64_t x = 88172645463325252ull;
    for (int line = 0; line < 4096; ++line) {
      for (int i = 0; i < 63; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        text += static_cast<char>('a' + x % 26);
      }
      text += '\n';
    }
    return text;
  }();
  uint64_t x = seed * 1000003u + static_cast<uint64_t>(client) * 7919u + static_cast<uint64_t>(seq) + 1;
  auto next = [&x] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  std::string m = "From: client" + std::to_string(client) + "@example.dom\nTo: owner@example.dom\n";
  m += "Subject: append " + std::to_string(client) + "/" + std::to_string(seq) + "\n";
  m += "Message-ID: <" + std::to_string(seed) + "." + std::to_string(client) + "." + std::to_string(seq) + "@stress>\n\n";
  size_t lines = 2 + next() % (next() % 8 == 0 ? 1500 : 60);
  size_t start = (next() % (4096 - lines)) * 64;
  m.append(pool, start, lines * 64);
  return m;
}

}  // namespace ximssd::loadgen
