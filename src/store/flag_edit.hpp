// What an IMAP STORE (store::FlagStore) does to one message's flags and keywords: the same
// arithmetic for every backend.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/records.hpp"

namespace ximssd::store {

uint32_t edit_flags(uint32_t before, const FlagStore& edit);
// `stored` and the result are space-separated keyword lists; keywords compare case-insensitively.
std::string edit_keywords(std::string_view stored, const FlagStore& edit);

}  // namespace ximssd::store
