#include "mail/folder_view.hpp"

#include <algorithm>

#include "base/text.hpp"

namespace ximssd::mail {

bool is_metadata_field(std::string_view field) {
  for (const char* name : {"UID", "ORIGUID", "SIZE", "INTERNALDATE", "FLAGS"})
    if (iequals(field, name)) return true;
  return false;
}

}  // namespace ximssd::mail
