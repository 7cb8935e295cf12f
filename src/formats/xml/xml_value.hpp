// The generic XIMSS data object in XML: a string (element text), a dictionary
// (<subKey key="k">value</subKey> children), an array (<subValue> children) or a data block
// (a <base64> child). Used for session data, x2auth and every other dictionary-valued field.
#pragma once

#include <pugixml.hpp>

#include <map>
#include <string>
#include <vector>

namespace ximssd::xml {

class XmlWriter;

struct XmlValue {
  enum class Kind { string, dictionary, array, data };
  Kind kind = Kind::string;
  std::string text;                          // string value, or raw bytes for data
  std::map<std::string, XmlValue> entries;   // dictionary
  std::vector<XmlValue> items;               // array

  static XmlValue string_value(std::string s) {
    XmlValue v;
    v.text = std::move(s);
    return v;
  }
  static XmlValue dictionary() {
    XmlValue v;
    v.kind = Kind::dictionary;
    return v;
  }
  bool operator==(const XmlValue&) const = default;
};

// Reads the value carried by the children/text of `container`. Throws Failure(badRequest) on
// a shape that is none of the four (mixed subKey and subValue, bad base64, duplicate keys).
XmlValue read_xml_value(pugi::xml_node container);
// Writes the value as the content of the writer's current element.
void write_xml_value(XmlWriter& writer, const XmlValue& value);

}  // namespace ximssd::xml
