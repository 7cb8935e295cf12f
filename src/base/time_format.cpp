#include "base/time_format.hpp"

#include <cstdio>
#include <ctime>

#include <date/date.h>
#include <date/tz.h>

#include <cstdio>

namespace ximssd {

SysSeconds now_seconds() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

int64_t now_epoch_seconds() { return now_seconds().time_since_epoch().count(); }

namespace {

std::string format_fields(date::local_seconds t) {
  auto day = date::floor<date::days>(t);
  date::year_month_day ymd{day};
  date::hh_mm_ss hms{t - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

const date::time_zone* find_zone(std::string_view zone) {
  if (zone.empty() || zone == "HostOS") return nullptr;
  try {
    return date::locate_zone(zone);
  } catch (const std::exception&) {
    return nullptr;
  }
}

const date::time_zone* host_zone() {
  try {
    return date::current_zone();
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace

std::string format_ximss_time(SysSeconds t) {
  return format_fields(date::local_seconds{t.time_since_epoch()});
}

std::optional<SysSeconds> parse_ximss_time(std::string_view text) {
  if (!text.empty() && (text.back() == 'Z' || text.back() == 'z')) text.remove_suffix(1);
  if (text.size() != 15 || (text[8] != 'T' && text[8] != 't')) return std::nullopt;
  auto digits = [&](size_t from, size_t count, int& out) {
    out = 0;
    for (size_t i = from; i < from + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!digits(0, 4, y) || !digits(4, 2, mo) || !digits(6, 2, d) || !digits(9, 2, h) ||
      !digits(11, 2, mi) || !digits(13, 2, s))
    return std::nullopt;
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                           date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  return SysSeconds{date::sys_days{ymd}} + std::chrono::hours{h} + std::chrono::minutes{mi} +
         std::chrono::seconds{s};
}

std::string format_local_time(SysSeconds t, std::string_view zone) {
  const date::time_zone* tz = find_zone(zone);
  if (!tz) tz = host_zone();
  if (!tz) return format_ximss_time(t);
  return format_fields(tz->to_local(t));
}

bool is_known_time_zone(std::string_view zone) { return find_zone(zone) != nullptr; }

std::string format_rfc5322_date(int64_t epoch_seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buffer;
}

}  // namespace ximssd
