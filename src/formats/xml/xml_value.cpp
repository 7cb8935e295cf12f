#include "formats/xml/xml_value.hpp"

#include <cstring>

#include "base/base64.hpp"
#include "base/error.hpp"
#include "formats/xml/xml_writer.hpp"

namespace ximssd::xml {

XmlValue read_xml_value(pugi::xml_node container) {
  XmlValue value;
  bool saw_key = false, saw_item = false, saw_data = false;
  for (pugi::xml_node child : container.children()) {
    if (child.type() != pugi::node_element) continue;
    const char* name = child.name();
    if (std::strcmp(name, "subKey") == 0) {
      saw_key = true;
      std::string key = child.attribute("key").value();
      if (!child.attribute("key")) throw Failure(ErrorCode::badRequest, "subKey without a key");
      if (!value.entries.emplace(key, read_xml_value(child)).second)
        throw Failure(ErrorCode::badRequest, "duplicate dictionary key: " + key);
    } else if (std::strcmp(name, "subValue") == 0) {
      saw_item = true;
      value.items.push_back(read_xml_value(child));
    } else if (std::strcmp(name, "base64") == 0) {
      saw_data = true;
      auto bytes = base64_decode(child.text().get());
      if (!bytes) throw Failure(ErrorCode::badRequest, "invalid base64 data");
      value.text = std::move(*bytes);
    } else {
      throw Failure(ErrorCode::badRequest, std::string("unexpected element in a value: ") + name);
    }
  }
  if (saw_key + saw_item + saw_data > 1)
    throw Failure(ErrorCode::badRequest, "a value mixes dictionary, array and data forms");
  if (saw_key) value.kind = XmlValue::Kind::dictionary;
  else if (saw_item) value.kind = XmlValue::Kind::array;
  else if (saw_data) value.kind = XmlValue::Kind::data;
  else value.text = container.text().get();
  return value;
}

void write_xml_value(XmlWriter& writer, const XmlValue& value) {
  switch (value.kind) {
    case XmlValue::Kind::string:
      writer.text(value.text);
      break;
    case XmlValue::Kind::data:
      writer.element("base64", base64_encode(value.text));
      break;
    case XmlValue::Kind::dictionary:
      for (const auto& [key, item] : value.entries) {
        writer.open("subKey").attr("key", key);
        write_xml_value(writer, item);
        writer.close();
      }
      break;
    case XmlValue::Kind::array:
      for (const auto& item : value.items) {
        writer.open("subValue");
        write_xml_value(writer, item);
        writer.close();
      }
      break;
  }
}

}  // namespace ximssd::xml
