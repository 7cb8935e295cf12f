// The sets listKnownValues reports: time zones from the system tz database and the charsets
// this server can convert (each checked against iconv once, at start).
#pragma once

#include <string>
#include <vector>

namespace ximssd::ximss {

class KnownValues {
 public:
  KnownValues();
  const std::vector<std::string>& time_zones() const { return time_zones_; }
  const std::vector<std::string>& charsets() const { return charsets_; }
  // Pre-rendered <tzid/> and <charset/> children of the knownValues message.
  const std::string& rendered() const { return rendered_; }

 private:
  std::vector<std::string> time_zones_;
  std::vector<std::string> charsets_;
  std::string rendered_;
};

}  // namespace ximssd::ximss
