// vCard, vCardGroup and iCalendar parts in their XML forms (F-data-formats-http.md 1.5,
// C-messages.md 6.1, D-calendar-signals.md 1.5): rendering real-world data, composing the
// reference's examples, and round trips through both.
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "mime/compose.hpp"
#include "mime/email_xml.hpp"
#include "mime/icalendar_xml.hpp"
#include "mime/vcard_xml.hpp"

using namespace ximssd;

namespace {

std::string message_with(const std::string& content_type, const std::string& body) {
  return "From: a@example.com\r\nTo: b@example.com\r\nSubject: card\r\nMIME-Version: 1.0\r\nContent-Type: " +
         content_type + "\r\n\r\n" + body;
}

// The content of the message's body element, as rendered.
std::string body_xml(const std::string& message) {
  std::string xml = mime::render_email_xml(message, {});
  size_t start = xml.find("<MIME");
  if (start == std::string::npos) return "(no MIME element) " + xml;
  size_t content = xml.find('>', start);
  if (xml[content - 1] == '/') return "";
  size_t end = xml.rfind("</MIME>");
  return xml.substr(content + 1, end - content - 1);
}

// The body element itself, parsed.
pugi::xml_node body_element(pugi::xml_document& doc, const std::string& message) {
  std::string xml = mime::render_email_xml(message, {});
  EXPECT_TRUE(doc.load_string(xml.c_str())) << xml;
  return doc.document_element().child("MIME");
}

// XML without the white space between elements, for comparing forms written by hand.
std::string canonical(const std::string& xml) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str())) << xml;
  std::ostringstream out;
  for (auto node : doc.children()) node.print(out, "", pugi::format_raw);
  return out.str();
}

std::string compose(const std::string& xml) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str())) << xml;
  return mime::compose_message(doc.document_element(), {});
}

// render -> compose -> render gives the same body XML.
void expect_round_trip(const std::string& subtype, const std::string& rendered_body) {
  std::string composed =
      compose("<EMail><MIME type=\"text\" subtype=\"" + subtype + "\">" + rendered_body + "</MIME></EMail>");
  EXPECT_EQ(body_xml(composed), rendered_body) << composed;
}

const std::string kSeedVCard =
    "<vCard>\n <NAME>Bjorn Jensen</NAME>\n <N><FAMILY>Jensen</FAMILY><GIVEN>bjorn</GIVEN>\n"
    " <MIDDLE>A</MIDDLE><PREFIX>Mr.</PREFIX><SUFFIX>II</SUFFIX></N>\n"
    " <EMAIL><INTERNET /><USERID>bjorn@domain.dom</USERID></EMAIL>\n"
    " <TEL><WORK /><VOICE /><MSG /><NUMBER>+1 313 747-4454</NUMBER></TEL>\n"
    " <KEY><x509 /><BINVAL>dGhpcyBjb3VsZCBiZSAKbXkgY2VydGlmaWNhdGUK</BINVAL></KEY>\n </vCard>";

const std::string kSeedCalendar =
    "<iCalendar xmlns=\"urn:ietf:params:xml:ns:xcal\">\n"
    " <vCalendar method=\"PUBLISH\" prodid=\"CommuniGate Pro 5.1.7\" version=\"2.0\">\n"
    " <vevent>\n"
    " <organizer CN=\"Big Boss\">MAILTO:boss@company.dom</organizer>\n"
    " <attendee CN=\"Small Boy\">MAILTO:boy@company.dom</attendee>\n"
    " <rrule>FREQ=WEEKLY;BYDAY=MO,TH</rrule>\n"
    " <dtstamp>20061022T091143Z</dtstamp>\n"
    " <uid>18927897984@kjjkjkjk-123444</uid>\n"
    " <sequence>0</sequence>\n"
    " <summary>Report Meeting</summary>\n"
    " <dtstart tzid=\"NorthAmerica/Pacific\">20060515T100000</dtstart>\n"
    " <dtend tzid=\"NorthAmerica/Pacific\">20060515T110000</dtend>\n"
    " <busystatus>BUSY</busystatus>\n"
    " <last-modified>20060516T034850Z</last-modified>\n"
    " <created>20060516T034850Z</created>\n"
    " <priority>5</priority>\n"
    " <description>A twice-a-week meeting to discuss the progress of the assigned projects.</description>\n"
    " </vevent>\n"
    " </vCalendar>\n"
    " </iCalendar>";

// vCard 2.1 as phones and Outlook write it: bare types, quoted-printable UTF-8 with soft line
// breaks, base64 data in indented lines ended by a blank line.
const std::string kVCard21 =
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=B6rg;;Dr.;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Dr. J=C3=B6rg M=C3=BCller\r\n"
    "ORG:Example GmbH;Research\r\n"
    "TEL;WORK;VOICE:+49 30 1234567\r\n"
    "TEL;CELL:+49 170 7654321\r\n"
    "EMAIL;PREF;INTERNET:joerg@example.de\r\n"
    "ADR;HOME;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:;;Hauptstra=DFe 5;Berlin;;10115;Germany\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:First line=0D=0ASecond line, long enough to need a soft line=\r\n"
    " break in the middle=\r\n"
    "=2E\r\n"
    "PHOTO;ENCODING=BASE64;TYPE=JPEG:\r\n"
    "    AAIEBggKDA4QEhQWGBocHiAiJCYoKiwuMDI0Njg6PD5A\r\n"
    "    QkRGSEpMTlBSVFZYWlxeYGJkZmhqbG5wcnR2\r\n"
    "\r\n"
    "END:VCARD\r\n";

// vCard 3.0 as Apple Contacts writes it: item groups, lower-case parameter names, escaped
// text, a folded base64 photo; with a Google-style photo URL.
const std::string kVCard30 =
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "PRODID:-//Apple Inc.//iPhone OS 16.0//EN\r\n"
    "N:Appleseed;Johnny;;;\r\n"
    "FN:Johnny Appleseed\r\n"
    "ORG:Apple Inc.;Engineering\r\n"
    "EMAIL;type=INTERNET;type=WORK;type=pref:johnny@example.com\r\n"
    "TEL;type=CELL;type=VOICE;type=pref:+1 (408) 555-0100\r\n"
    "item1.ADR;type=HOME;type=pref:;;1 Infinite Loop;Cupertino;CA;95014;USA\r\n"
    "item1.X-ABADR:us\r\n"
    "item2.URL;type=pref:http\\://www.example.com\r\n"
    "item2.X-ABLabel:_$!<HomePage>!$_\r\n"
    "NOTE:Line one\\nLine two\\, with a comma\\; and a semicolon\r\n"
    "BDAY;value=date:1980-01-02\r\n"
    "CATEGORIES:friends,work\\,stuff\r\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:AAIEBggKDA4QEhQWGBocHiAiJCYoKiwuMDI0Njg6PD5AQkRGSEp\r\n"
    " MTlBSVFZYWlxeYGJkZmhqbG5wcnR2\r\n"
    "LOGO;VALUE=uri:https://lh3.googleusercontent.com/a/photo.jpg\r\n"
    "END:VCARD\r\n";

// vCard 4.0: RFC 6350's own example, with a photo by URI.
const std::string kVCard40 =
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "KIND:individual\r\n"
    "FN:Simon Perreault\r\n"
    "N:Perreault;Simon;;;ing. jr,M.Sc.\r\n"
    "BDAY:--0203\r\n"
    "LANG;PREF=1:fr\r\n"
    "TEL;VALUE=uri;TYPE=\"work,voice\";PREF=1:tel:+1-418-656-9254;ext=102\r\n"
    "EMAIL;TYPE=work:simon.perreault@viagenie.ca\r\n"
    "GEO;TYPE=work:geo:46.772673,-71.282945\r\n"
    "KEY;TYPE=work;VALUE=uri:http://www.viagenie.ca/simon.perreault/simon.asc\r\n"
    "URL;TYPE=home:http://nomis80.org\r\n"
    "PHOTO;MEDIATYPE=image/jpeg:http://example.com/photo.jpg\r\n"
    "END:VCARD\r\n";

const std::string kGroup =
    "BEGIN:VGROUP\r\n"
    "PRODID:CommuniGate Pro 5.1\r\n"
    "UID:group-1@example.com\r\n"
    "NAME:Friends\r\n"
    "MEMBER;CN=\"Ann Example\":mailto:ann@example.com\r\n"
    "MEMBER;CN=Bob:mailto:bob@example.com\r\n"
    "END:VGROUP\r\n";

const std::string kCalendar =
    "BEGIN:VCALENDAR\r\n"
    "PRODID:-//Example Corp//Calendar 1.0//EN\r\n"
    "VERSION:2.0\r\n"
    "METHOD:REQUEST\r\n"
    "X-WR-CALNAME:Team\r\n"
    "BEGIN:VTIMEZONE\r\n"
    "TZID:America/New_York\r\n"
    "BEGIN:DAYLIGHT\r\n"
    "TZOFFSETFROM:-0500\r\n"
    "TZOFFSETTO:-0400\r\n"
    "TZNAME:EDT\r\n"
    "DTSTART:20070311T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n"
    "END:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\n"
    "TZOFFSETFROM:-0400\r\n"
    "TZOFFSETTO:-0500\r\n"
    "TZNAME:EST\r\n"
    "DTSTART:20071104T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:weekly-1@example.com\r\n"
    "DTSTAMP:20240105T120000Z\r\n"
    "DTSTART;TZID=America/New_York:20240108T090000\r\n"
    "DURATION:PT30M\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO,WE\r\n"
    "EXDATE;TZID=America/New_York:20240110T090000\r\n"
    "SUMMARY:Stand-up\\, daily-ish\r\n"
    "DESCRIPTION:Line one\\nLine two\r\n"
    "ORGANIZER;CN=\"Boss, The\":mailto:boss@example.com\r\n"
    "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=\r\n"
    " TRUE;CN=Ann Example;X-NUM-GUESTS=0:mailto:ann@example.com\r\n"
    "ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=ACCEPTED;DELEGATED-FROM=\"mailto:boss@\r\n"
    " example.com\":mailto:bob@example.com\r\n"
    "X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\n"
    "BEGIN:VALARM\r\n"
    "ACTION:DISPLAY\r\n"
    "DESCRIPTION:Reminder\r\n"
    "TRIGGER;RELATED=START:-PT15M\r\n"
    "END:VALARM\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n";

}  // namespace

TEST(CardsVCard, SeedExampleComposesToVCardTextAndRendersBack) {
  std::string message = compose("<EMail><MIME type=\"text\" subtype=\"directory\">" + kSeedVCard + "</MIME></EMail>");
  EXPECT_NE(message.find("Content-Type: text/directory; charset=utf-8; profile=vCard\r\n"), std::string::npos)
      << message;
  EXPECT_NE(message.find("BEGIN:VCARD\r\n"
                         "VERSION:3.0\r\n"
                         "NAME:Bjorn Jensen\r\n"
                         "N:Jensen;bjorn;A;Mr.;II\r\n"
                         "EMAIL;TYPE=INTERNET:bjorn@domain.dom\r\n"
                         "TEL;TYPE=WORK,VOICE,MSG:+1 313 747-4454\r\n"
                         "KEY;ENCODING=b;TYPE=x509:dGhpcyBjb3VsZCBiZSAKbXkgY2VydGlmaWNhdGUK\r\n"
                         "END:VCARD\r\n"),
            std::string::npos)
      << message;
  EXPECT_EQ(body_xml(message), canonical(kSeedVCard));
}

TEST(CardsVCard, Version21QuotedPrintableBareTypesAndIndentedBase64) {
  std::string expected =
      "<vCard>"
      "<N><FAMILY>M\xC3\xBCller</FAMILY><GIVEN>J\xC3\xB6rg</GIVEN><PREFIX>Dr.</PREFIX></N>"
      "<FN>Dr. J\xC3\xB6rg M\xC3\xBCller</FN>"
      "<ORG><ORGNAME>Example GmbH</ORGNAME><ORGUNIT>Research</ORGUNIT></ORG>"
      "<TEL><WORK/><VOICE/><NUMBER>+49 30 1234567</NUMBER></TEL>"
      "<TEL><CELL/><NUMBER>+49 170 7654321</NUMBER></TEL>"
      "<EMAIL><PREF/><INTERNET/><USERID>joerg@example.de</USERID></EMAIL>"
      "<ADR><HOME/><STREET>Hauptstra\xC3\x9F" "e 5</STREET><LOCALITY>Berlin</LOCALITY><PCODE>10115</PCODE>"
      "<CTRY>Germany</CTRY></ADR>"
      "<NOTE>First line\nSecond line, long enough to need a soft line break in the middle.</NOTE>"
      "<PHOTO><JPEG/><BINVAL>AAIEBggKDA4QEhQWGBocHiAiJCYoKiwuMDI0Njg6PD5AQkRGSEpMTlBSVFZYWlxeYGJkZmhqbG5wcnR2</BINVAL>"
      "</PHOTO>"
      "</vCard>";
  EXPECT_EQ(body_xml(message_with("text/x-vcard; charset=utf-8", kVCard21)), expected);
  expect_round_trip("x-vcard", expected);
}

TEST(CardsVCard, Version30AppleAndGoogleStyle) {
  std::string expected =
      "<vCard>"
      "<PRODID>-//Apple Inc.//iPhone OS 16.0//EN</PRODID>"
      "<N><FAMILY>Appleseed</FAMILY><GIVEN>Johnny</GIVEN></N>"
      "<FN>Johnny Appleseed</FN>"
      "<ORG><ORGNAME>Apple Inc.</ORGNAME><ORGUNIT>Engineering</ORGUNIT></ORG>"
      "<EMAIL><INTERNET/><WORK/><pref/><USERID>johnny@example.com</USERID></EMAIL>"
      "<TEL><CELL/><VOICE/><pref/><NUMBER>+1 (408) 555-0100</NUMBER></TEL>"
      "<ADR group=\"item1\"><HOME/><pref/><STREET>1 Infinite Loop</STREET><LOCALITY>Cupertino</LOCALITY>"
      "<REGION>CA</REGION><PCODE>95014</PCODE><CTRY>USA</CTRY></ADR>"
      "<X-ABADR group=\"item1\">us</X-ABADR>"
      "<URL group=\"item2\"><pref/>http://www.example.com</URL>"
      "<X-ABLABEL group=\"item2\">_$!&lt;HomePage&gt;!$_</X-ABLABEL>"
      "<NOTE>Line one\nLine two, with a comma; and a semicolon</NOTE>"
      "<BDAY VALUE=\"date\">1980-01-02</BDAY>"
      "<CATEGORIES><KEYWORD>friends</KEYWORD><KEYWORD>work,stuff</KEYWORD></CATEGORIES>"
      "<PHOTO><JPEG/><BINVAL>AAIEBggKDA4QEhQWGBocHiAiJCYoKiwuMDI0Njg6PD5AQkRGSEpMTlBSVFZYWlxeYGJkZmhqbG5wcnR2</BINVAL>"
      "</PHOTO>"
      "<LOGO><EXTVAL>https://lh3.googleusercontent.com/a/photo.jpg</EXTVAL></LOGO>"
      "</vCard>";
  EXPECT_EQ(body_xml(message_with("text/directory; profile=vCard; charset=utf-8", kVCard30)), expected);
  expect_round_trip("directory", expected);
}

TEST(CardsVCard, Version40) {
  std::string expected =
      "<vCard>"
      "<KIND>individual</KIND>"
      "<FN>Simon Perreault</FN>"
      "<N><FAMILY>Perreault</FAMILY><GIVEN>Simon</GIVEN><SUFFIX>ing. jr,M.Sc.</SUFFIX></N>"
      "<BDAY>--0203</BDAY>"
      "<LANG PREF=\"1\">fr</LANG>"
      "<TEL VALUE=\"uri\" PREF=\"1\"><work/><voice/><NUMBER>tel:+1-418-656-9254;ext=102</NUMBER></TEL>"
      "<EMAIL><work/><USERID>simon.perreault@viagenie.ca</USERID></EMAIL>"
      "<GEO><work/>geo:46.772673,-71.282945</GEO>"
      "<KEY><work/><EXTVAL>http://www.viagenie.ca/simon.perreault/simon.asc</EXTVAL></KEY>"
      "<URL><home/>http://nomis80.org</URL>"
      "<PHOTO MEDIATYPE=\"image/jpeg\"><EXTVAL>http://example.com/photo.jpg</EXTVAL></PHOTO>"
      "</vCard>";
  EXPECT_EQ(body_xml(message_with("text/vcard", kVCard40)), expected);
  expect_round_trip("vcard", expected);
}

TEST(CardsVCard, SeveralCardsInOnePartAndNoneInAnEmptyOne) {
  std::string two = "BEGIN:VCARD\nVERSION:3.0\nFN:One\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:Two\nEND:VCARD\n";
  EXPECT_EQ(body_xml(message_with("text/directory", two)), "<vCard><FN>One</FN></vCard><vCard><FN>Two</FN></vCard>");
  EXPECT_EQ(body_xml(message_with("text/directory", "\r\n")), "");
}

TEST(CardsVCard, WritesFoldedEscapedText) {
  // 70 two-octet characters: the fold must not split one.
  std::string long_note;
  for (int i = 0; i < 70; ++i) long_note += "\xC3\xA9";
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(("<vCard><FN>A, B; C\\D</FN><NOTE>" + long_note + "\nend</NOTE>"
                               "<ADR><WORK/><STREET>1, Main St</STREET></ADR></vCard>").c_str()));
  std::string text = mime::card_text(doc.document_element());
  EXPECT_NE(text.find("FN:A\\, B\\; C\\\\D\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ADR;TYPE=WORK:;;1, Main St;;;;\r\n"), std::string::npos) << text;
  std::istringstream lines(text);
  std::string line, unfolded;
  while (std::getline(lines, line)) {
    ASSERT_FALSE(line.empty());
    ASSERT_EQ(line.back(), '\r');
    line.pop_back();
    EXPECT_LE(line.size(), 75u) << line;
    if (line[0] == ' ') unfolded += line.substr(1);
    else unfolded += "\n" + line;
  }
  EXPECT_NE(unfolded.find("\nNOTE:" + long_note + "\\nend"), std::string::npos) << unfolded;
}

TEST(CardsVCardGroup, RendersAndComposes) {
  std::string expected =
      "<vCardGroup><PRODID>CommuniGate Pro 5.1</PRODID><UID>group-1@example.com</UID><NAME>Friends</NAME>"
      "<MEMBER CN=\"Ann Example\">mailto:ann@example.com</MEMBER><MEMBER CN=\"Bob\">mailto:bob@example.com</MEMBER>"
      "</vCardGroup>";
  EXPECT_EQ(body_xml(message_with("text/x-vgroup", kGroup)), expected);
  std::string composed = compose("<EMail><MIME type=\"text\" subtype=\"x-vgroup\">" + expected + "</MIME></EMail>");
  EXPECT_NE(composed.find("Content-Type: text/x-vgroup; charset=utf-8\r\n"), std::string::npos) << composed;
  // CN needs no quotes in vCard 3.0: only values with ':', ';' or ',' get them.
  EXPECT_NE(composed.find("\r\nNAME:Friends\r\nMEMBER;CN=Ann Example:mailto:ann@example.com\r\n"), std::string::npos)
      << composed;
  EXPECT_EQ(body_xml(composed), expected);
}

TEST(CardsICalendar, SeedPublishExampleComposesAndRendersBack) {
  std::string message =
      compose("<EMail><MIME type=\"text\" subtype=\"calendar\">" + kSeedCalendar + "</MIME></EMail>");
  EXPECT_NE(message.find("Content-Type: text/calendar; charset=utf-8; method=PUBLISH\r\n"), std::string::npos)
      << message;
  EXPECT_NE(message.find("\r\nDTSTART;TZID=NorthAmerica/Pacific:20060515T100000\r\n"), std::string::npos) << message;
  EXPECT_NE(message.find("\r\nBUSYSTATUS:BUSY\r\n"), std::string::npos) << message;
  EXPECT_NE(message.find("\r\nORGANIZER;CN=Big Boss:MAILTO:boss@company.dom\r\n"), std::string::npos) << message;
  EXPECT_EQ(body_xml(message), canonical(kSeedCalendar));
}

TEST(CardsICalendar, TimezoneRecurrenceAlarmAndAttendees) {
  std::string expected =
      "<iCalendar xmlns=\"urn:ietf:params:xml:ns:xcal\">"
      "<vCalendar prodid=\"-//Example Corp//Calendar 1.0//EN\" version=\"2.0\" method=\"REQUEST\""
      " x-wr-calname=\"Team\">"
      // libical writes a recurrence rule's parts in its own order (BYDAY before BYMONTH).
      "<vtimezone><tzid>America/New_York</tzid>"
      "<daylight><tzoffsetfrom>-0500</tzoffsetfrom><tzoffsetto>-0400</tzoffsetto><tzname>EDT</tzname>"
      "<dtstart>20070311T020000</dtstart><rrule>FREQ=YEARLY;BYDAY=2SU;BYMONTH=3</rrule></daylight>"
      "<standard><tzoffsetfrom>-0400</tzoffsetfrom><tzoffsetto>-0500</tzoffsetto><tzname>EST</tzname>"
      "<dtstart>20071104T020000</dtstart><rrule>FREQ=YEARLY;BYDAY=1SU;BYMONTH=11</rrule></standard>"
      "</vtimezone>"
      "<vevent><uid>weekly-1@example.com</uid><dtstamp>20240105T120000Z</dtstamp>"
      "<dtstart tzid=\"America/New_York\">20240108T090000</dtstart><duration>PT30M</duration>"
      "<rrule>FREQ=WEEKLY;COUNT=10;BYDAY=MO,WE</rrule>"
      "<exdate tzid=\"America/New_York\">20240110T090000</exdate>"
      "<summary>Stand-up, daily-ish</summary><description>Line one\nLine two</description>"
      "<organizer CN=\"Boss, The\">mailto:boss@example.com</organizer>"
      "<attendee CUTYPE=\"INDIVIDUAL\" ROLE=\"REQ-PARTICIPANT\" PARTSTAT=\"NEEDS-ACTION\" RSVP=\"TRUE\""
      " CN=\"Ann Example\" X-NUM-GUESTS=\"0\">mailto:ann@example.com</attendee>"
      "<attendee ROLE=\"OPT-PARTICIPANT\" PARTSTAT=\"ACCEPTED\" DELEGATED-FROM=\"mailto:boss@example.com\">"
      "mailto:bob@example.com</attendee>"
      "<x-microsoft-cdo-busystatus>BUSY</x-microsoft-cdo-busystatus>"
      "<valarm><action>DISPLAY</action><description>Reminder</description>"
      "<trigger RELATED=\"START\">-PT15M</trigger></valarm>"
      "</vevent></vCalendar></iCalendar>";
  EXPECT_EQ(body_xml(message_with("text/calendar; method=REQUEST; charset=utf-8", kCalendar)), expected);
  expect_round_trip("calendar", expected);
}

TEST(CardsICalendar, RefusesBadXmlForms) {
  auto compose_calendar = [](const std::string& inner) {
    return compose("<EMail><MIME type=\"text\" subtype=\"calendar\"><iCalendar>" + inner + "</iCalendar></MIME></EMail>");
  };
  auto expect_bad_request = [](auto&& f) {
    try {
      f();
      ADD_FAILURE() << "no Failure";
    } catch (const Failure& failure) {
      EXPECT_EQ(failure.code(), ErrorCode::badRequest) << failure.what();
    }
  };
  expect_bad_request([&] { compose_calendar("<vevent/>"); });
  expect_bad_request([&] { compose_calendar("<vCalendar><vevent><dtstart>tomorrow</dtstart></vevent></vCalendar>"); });
  expect_bad_request([&] { compose_calendar("<vCalendar><vnothing><a>b</a></vnothing></vCalendar>"); });
  expect_bad_request([&] { compose_calendar("<vCalendar><vevent><summary CN=\"a&quot;b\">x</summary></vevent></vCalendar>"); });
  expect_bad_request([&] {
    compose("<EMail><MIME type=\"text\" subtype=\"directory\"><vCard><KEY><BINVAL>not base64!</BINVAL></KEY></vCard>"
            "</MIME></EMail>");
  });
  expect_bad_request([&] {
    compose("<EMail><MIME type=\"text\" subtype=\"directory\"><vCard><TEL><NUMBER>1</NUMBER><X><Y>z</Y></X></TEL>"
            "</vCard></MIME></EMail>");
  });
  expect_bad_request([&] {
    compose("<EMail><MIME type=\"text\" subtype=\"directory\"><vCard><BEGIN>VCARD</BEGIN></vCard></MIME></EMail>");
  });
  // Without a vCard element the part is plain text, as before.
  EXPECT_NE(compose("<EMail><MIME type=\"text\" subtype=\"directory\">plain</MIME></EMail>").find("\r\n\r\nplain"),
            std::string::npos);
}

TEST(CardsBroken, UnparsableDataIsShownAsTextWithParseError) {
  struct Case {
    std::string content_type, body;
  };
  for (const Case& c : {
           Case{"text/x-vcard", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Nobody\r\n"},
           Case{"text/directory", "this is not a vCard"},
           Case{"text/directory; charset=x-no-such-charset", "BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n"},
           Case{"text/directory", "BEGIN:VCARD\r\nPHOTO;ENCODING=b:***\r\nEND:VCARD\r\n"},
           Case{"text/x-vgroup", "BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n"},
           Case{"text/calendar", "garbage \x01\x02 calendar"},
           Case{"text/calendar", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:never\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
           Case{"text/calendar", "BEGIN:VEVENT\r\nSUMMARY:no calendar\r\nEND:VEVENT\r\n"},
       }) {
    pugi::xml_document doc;
    auto mime = body_element(doc, message_with(c.content_type, c.body));
    EXPECT_STRNE(mime.attribute("parseError").value(), "") << c.body;
    EXPECT_FALSE(mime.first_child().type() == pugi::node_element) << c.body;
    EXPECT_NE(std::string(mime.text().get()).find(c.body.substr(0, 8)), std::string::npos) << c.body;
  }
  // Deep nesting is refused before libical sees it.
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "BEGIN:VEVENT\r\n";
  pugi::xml_document doc;
  EXPECT_STRNE(body_element(doc, message_with("text/calendar", "BEGIN:VCALENDAR\r\n" + deep)).attribute("parseError").value(), "");
}

TEST(CardsMessage, EachKindThroughRenderEmailXml) {
  std::string message =
      "From: a@example.com\r\nTo: b@example.com\r\nSubject: all kinds\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
      "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the parts.\r\n"
      "--b1\r\nContent-Type: text/x-vcard; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
      std::string("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Q=C3=BCeen\r\nEMAIL:q@example.com\r\nEND:VCARD\r\n") +
      "--b1\r\nContent-Type: text/x-vgroup\r\n\r\n" + kGroup +
      "--b1\r\nContent-Type: text/calendar; method=REQUEST\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "QkVHSU46VkNBTEVOREFSDQpWRVJTSU9OOjIuMA0KUFJPRElEOngNCkJFR0lOOlZFVkVOVA0KVUlE\r\n"
      "OjENCkRUU1RBUlQ6MjAyNDAxMDFUMTAwMDAwWg0KU1VNTUFSWTpOZXcgWWVhcg0KRU5EOlZFVkVO\r\n"
      "VA0KRU5EOlZDQUxFTkRBUg0K\r\n"
      "--b1\r\nContent-Type: text/directory\r\nContent-Disposition: attachment; filename=a.vcf\r\n\r\n" +
      kVCard40 + "--b1--\r\n";
  pugi::xml_document doc;
  auto body = body_element(doc, message);
  std::vector<pugi::xml_node> parts;
  for (auto part : body.children("MIME")) parts.push_back(part);
  ASSERT_EQ(parts.size(), 5u);
  EXPECT_STREQ(parts[0].text().get(), "See the parts.");
  EXPECT_STREQ(parts[1].child("vCard").child("FN").text().get(), "Q\xC3\xBC" "een");
  EXPECT_STREQ(parts[1].child("vCard").child("EMAIL").child("USERID").text().get(), "q@example.com");
  EXPECT_STREQ(parts[2].child("vCardGroup").child("NAME").text().get(), "Friends");
  auto event = parts[3].child("iCalendar").child("vCalendar").child("vevent");
  EXPECT_STREQ(parts[3].child("iCalendar").child("vCalendar").attribute("prodid").value(), "x");
  EXPECT_STREQ(event.child("summary").text().get(), "New Year");
  EXPECT_STREQ(event.child("dtstart").text().get(), "20240101T100000Z");
  EXPECT_STREQ(parts[3].attribute("Type-method").value(), "REQUEST");
  // An attachment keeps its data out, like any other.
  EXPECT_FALSE(parts[4].first_child());
  for (auto& part : parts) EXPECT_FALSE(part.attribute("parseError")) << part.attribute("parseError").value();
}

// Damaged copies of the samples: the renderer never fails to write well-formed XML, and what
// it reads as vCard data composes back to the same XML.
TEST(CardsBroken, MutatedDataRendersWellFormedAndRoundTrips) {
  std::mt19937 random(1234);
  const std::vector<std::pair<std::string, std::string>> samples = {{"text/x-vcard", kVCard21},
                                                                    {"text/directory", kVCard30},
                                                                    {"text/vcard", kVCard40},
                                                                    {"text/x-vgroup", kGroup},
                                                                    {"text/calendar", kCalendar}};
  static const char kNoise[] = "\r\n;:,=\\\" \tBEGINENDVCARD\x00\xff\xc3";
  for (int round = 0; round < 500; ++round) {
    auto [content_type, body] = samples[round % samples.size()];
    for (int edits = 1 + random() % 6; edits > 0 && !body.empty(); --edits) {
      size_t at = random() % body.size();
      switch (random() % 3) {
        case 0: body[at] = kNoise[random() % (sizeof kNoise - 1)]; break;
        case 1: body.erase(at, 1 + random() % 10); break;
        default: body.insert(at, body.substr(random() % body.size(), random() % 40));
      }
    }
    pugi::xml_document doc;
    auto mime = body_element(doc, message_with(content_type, body));
    ASSERT_TRUE(mime) << body;
    if (content_type == "text/calendar" || !mime.first_child() || mime.first_child().type() != pugi::node_element)
      continue;
    std::ostringstream rendered;
    for (auto child : mime.children()) child.print(rendered, "", pugi::format_raw);
    std::string subtype = mime.attribute("subtype").value();
    std::string composed =
        compose("<EMail><MIME type=\"text\" subtype=\"" + subtype + "\">" + rendered.str() + "</MIME></EMail>");
    pugi::xml_document again;
    std::ostringstream rerendered;
    for (auto child : body_element(again, composed).children()) child.print(rerendered, "", pugi::format_raw);
    EXPECT_EQ(rerendered.str(), rendered.str()) << body;
  }
}
