#include "ximss/known_values.hpp"

#include <date/tz.h>
#include <iconv.h>

#include <algorithm>

#include "formats/xml/xml_writer.hpp"

namespace ximssd::ximss {

namespace {

// IANA charset names that mail clients meet; only those iconv can convert are reported.
constexpr const char* kCandidateCharsets[] = {
    "utf-8",        "us-ascii",     "iso-8859-1",   "iso-8859-2",   "iso-8859-3",  "iso-8859-4",
    "iso-8859-5",   "iso-8859-6",   "iso-8859-7",   "iso-8859-8",   "iso-8859-9",  "iso-8859-10",
    "iso-8859-13",  "iso-8859-14",  "iso-8859-15",  "iso-8859-16",  "windows-1250", "windows-1251",
    "windows-1252", "windows-1253", "windows-1254", "windows-1255", "windows-1256", "windows-1257",
    "windows-1258", "koi8-r",       "koi8-u",       "utf-16",       "utf-16be",    "utf-16le",
    "utf-7",        "gb2312",       "gbk",          "gb18030",      "big5",        "big5-hkscs",
    "euc-jp",       "iso-2022-jp",  "shift_jis",    "euc-kr",       "iso-2022-kr", "tis-620",
    "ibm866",       "macintosh",    "viscii"};

}  // namespace

KnownValues::KnownValues() {
  try {
    const auto& db = date::get_tzdb();
    for (const auto& zone : db.zones) time_zones_.push_back(zone.name());
  } catch (const std::exception&) {
    // No tz database on this machine: report none rather than invent names.
  }
  std::sort(time_zones_.begin(), time_zones_.end());
  time_zones_.erase(std::unique(time_zones_.begin(), time_zones_.end()), time_zones_.end());
  for (const char* name : kCandidateCharsets) {
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == reinterpret_cast<iconv_t>(-1)) continue;
    iconv_close(cd);
    charsets_.emplace_back(name);
  }
  xml::XmlWriter w(rendered_);
  for (const auto& tz : time_zones_) w.open("tzid").attr("name", tz).close();
  for (const auto& cs : charsets_) w.open("charset").attr("name", cs).close();
}

}  // namespace ximssd::ximss
