// iCalendar data (text/calendar) in its XIMSS XML form, `iCalendar`, and back, read and
// written by libical. The form is the reference's calendarPublish example:
//   <iCalendar xmlns="urn:ietf:params:xml:ns:xcal">
//    <vCalendar method="PUBLISH" prodid="CommuniGate Pro 5.1.7" version="2.0">
//     <vevent>
//      <organizer CN="Big Boss">MAILTO:boss@company.dom</organizer>
//      <dtstart tzid="NorthAmerica/Pacific">20060515T100000</dtstart>
//      <valarm><action>DISPLAY</action><trigger>-PT15M</trigger></valarm>
//     </vevent>
//    </vCalendar>
//   </iCalendar>
// - one `vCalendar` per VCALENDAR object (normally one);
// - a calendar property is an attribute of `vCalendar` named in lower case, unless it has
//   parameters or its name is already taken by an earlier one: then it is a child element;
// - components are child elements named in lower case (vevent, vtodo, vjournal, vfreebusy,
//   vtimezone with standard and daylight, valarm inside its component...);
// - each property is an element named in lower case; its text is the value as iCalendar writes
//   it (dates, recurrence rules, durations, addresses), except that text values are unescaped
//   (a line feed is a line feed, not `\n`);
// - parameters are attributes named in upper case (`CN`, `PARTSTAT`, `RSVP`, `VALUE`, `X-...`),
//   except TZID, which is `tzid` as in the example; when reading XML, attribute names are taken
//   in any case;
// - X- properties and parameters, and names libical 3.0 does not know (the example's
//   `busystatus`), are kept; X- components are not (libical 3.0 cannot name them).
#pragma once

#include <pugixml.hpp>

#include <string>
#include <string_view>

#include "formats/xml/xml_writer.hpp"

namespace ximssd::mime {

inline constexpr std::string_view kXCalNamespace = "urn:ietf:params:xml:ns:xcal";

// Writes <iCalendar> for the iCalendar text. Returns false, writing nothing and saying why in
// `error`, when libical cannot read every line of it or it holds no VCALENDAR object.
bool write_icalendar_xml(xml::XmlWriter& out, std::string_view text, std::string& error);

// The iCalendar text (CRLF line ends, folded) of an `iCalendar` element. VERSION 2.0 and a
// PRODID are added when the XML has none. Throws Failure(badRequest) saying what is wrong with
// the XML (an unknown component, a value that does not fit its type...).
std::string icalendar_text(pugi::xml_node icalendar);

}  // namespace ximssd::mime
