// Unguessable values from libsodium's CSPRNG.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ximssd {

// `length` characters from [A-Za-z0-9]: each carries ~5.95 bits of entropy.
std::string random_alnum(size_t length);
std::string random_bytes(size_t length);
// A uniformly random number in [0, upper).
uint32_t random_below(uint32_t upper);

}  // namespace ximssd
