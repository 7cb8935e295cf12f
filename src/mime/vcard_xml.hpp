// vCard data (text/directory, text/x-vcard, text/vcard) and CommuniGate's contact groups
// (text/x-vgroup) in their XIMSS XML forms, `vCard` and `vCardGroup`, and back.
//
// The XML form follows the reference's contactAppend example, itself the "vCard XML" of
// draft-dawson-vcard-xml-dtd (as XEP-0054 spells it):
//   <vCard>
//    <N><FAMILY>Jensen</FAMILY><GIVEN>bjorn</GIVEN><MIDDLE>A</MIDDLE><PREFIX>Mr.</PREFIX><SUFFIX>II</SUFFIX></N>
//    <EMAIL><INTERNET/><USERID>bjorn@domain.dom</USERID></EMAIL>
//    <TEL><WORK/><VOICE/><MSG/><NUMBER>+1 313 747-4454</NUMBER></TEL>
//    <KEY><x509/><BINVAL>dGhpcyBjb3VsZCBi...</BINVAL></KEY>
//    <NOTE>two\nlines</NOTE>
//   </vCard>
// - each property is an element named after it in upper case; its group (`item1.EMAIL`) is the
//   attribute `group`;
// - each TYPE value (TYPE=a,b, TYPE=a;TYPE=b, or a bare vCard 2.1 parameter such as `;WORK`)
//   is an empty child element spelled as written; values that are not XML names stay in a TYPE
//   attribute;
// - ENCODING and CHARSET are applied (quoted-printable and base64 decoded, text converted to
//   UTF-8) and not kept; every other parameter is an attribute named in upper case;
// - the value: N -> FAMILY GIVEN MIDDLE PREFIX SUFFIX; ADR -> POBOX EXTADD STREET LOCALITY REGION
//   PCODE CTRY; ORG -> ORGNAME ORGUNIT...; GEO (lat;lon) -> LAT LON; CATEGORIES -> KEYWORD...
//   (empty components are left out); EMAIL -> USERID; TEL -> NUMBER; PHOTO, LOGO, SOUND, KEY ->
//   BINVAL (inline data, base64) or EXTVAL (a URI, VALUE=uri implied); every other property ->
//   its text, unescaped (`\n` is a line feed), as the element's text after the type elements.
// - VERSION is not kept: the XML form stands for every version, and is written back as 3.0.
//
// vCardGroup (text/x-vgroup, BEGIN:VGROUP ... END:VGROUP) uses the same rules for its
// properties, so a group reads
//   <vCardGroup><NAME>Friends</NAME><MEMBER CN="Ann">mailto:ann@example.com</MEMBER>...</vCardGroup>
// (its VERSION, if any, is kept as an element: the group format has no version of its own here).
#pragma once

#include <pugixml.hpp>

#include <string>
#include <string_view>

#include "formats/xml/xml_writer.hpp"

namespace ximssd::mime {

enum class CardKind {
  vcard,   // BEGIN:VCARD ... END:VCARD as <vCard>
  vgroup,  // BEGIN:VGROUP ... END:VGROUP as <vCardGroup>
};

// Writes one element per object of `kind` in `text` (vCard 2.1, 3.0 or 4.0 text, UTF-8).
// Returns false, writing nothing and saying why in `error`, when the text is not such data
// (an object without its END line, broken base64, or no object at all in non-blank text).
bool write_cards_xml(xml::XmlWriter& out, std::string_view text, CardKind kind, std::string& error);

// The vCard 3.0 text (CRLF line ends, lines folded at 75 octets) of one `vCard` or `vCardGroup`
// element. Throws Failure(badRequest) saying what is wrong with the XML.
std::string card_text(pugi::xml_node card);
// The text of every child element of `parent` that is a `vCard` (or `vCardGroup`) element;
// throws Failure(badRequest) when there is none or one is malformed.
std::string cards_text(pugi::xml_node parent, CardKind kind);

}  // namespace ximssd::mime
