// Time stamps as XIMSS writes them: "YYYYMMDDTHHMMSS" (GMT or local), and conversion to a named
// time zone from the system's tz database.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ximssd {

using SysSeconds = std::chrono::sys_seconds;

SysSeconds now_seconds();
// now_seconds() as a count of seconds since the epoch, the form the store keeps.
int64_t now_epoch_seconds();

// RFC 5322 date-time in UTC, as mail header fields carry it: "Tue, 14 Nov 2023 22:13:20 +0000".
std::string format_rfc5322_date(int64_t epoch_seconds);

// "20070502T083313"
std::string format_ximss_time(SysSeconds t);
// Accepts "YYYYMMDDTHHMMSS" with an optional trailing "Z"; nullopt when malformed.
std::optional<SysSeconds> parse_ximss_time(std::string_view text);

// The wall-clock time in `zone` (an IANA name such as "Europe/Berlin"), formatted as above.
// An unknown zone, or "HostOS"/"" means the server's own zone.
std::string format_local_time(SysSeconds t, std::string_view zone);
bool is_known_time_zone(std::string_view zone);

}  // namespace ximssd
