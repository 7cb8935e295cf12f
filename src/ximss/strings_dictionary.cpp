#include "ximss/strings_dictionary.hpp"

#include <pugixml.hpp>

#include <cstring>
#include <stdexcept>

#include "base/text.hpp"
#include "formats/xml/xml_writer.hpp"
#include "ximss/strings_builtin.hpp"

namespace ximssd::ximss {

namespace {

// Re-renders the dictionary children in the wire form, dropping comments and layout.
void render(xml::XmlWriter& w, pugi::xml_node node) {
  for (pugi::xml_node child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    bool is_dict = std::strcmp(child.name(), "strings") == 0;
    if (!is_dict && std::strcmp(child.name(), "string") != 0)
      throw std::runtime_error(std::string("unexpected element in a strings dictionary: ") + child.name());
    w.open(is_dict ? "strings" : "string");
    if (child.attribute("name")) w.attr("name", child.attribute("name").value());
    if (is_dict) render(w, child);
    else w.text(child.text().get());
    w.close();
  }
}

}  // namespace

StringsDictionary::StringsDictionary() {
  for (const auto& source : builtin_strings()) {
    pugi::xml_document doc;
    if (!doc.load_buffer(source.data(), source.size()))
      throw std::runtime_error("built-in strings dictionary is not well-formed XML");
    pugi::xml_node root = doc.child("strings");
    Dictionary d;
    d.language = root.attribute("language").value();
    auto modified = parse_ximss_time(root.attribute("timeModified").value());
    if (d.language.empty() || !modified)
      throw std::runtime_error("built-in strings dictionary lacks language or timeModified");
    d.modified = *modified;
    {
      xml::XmlWriter w(d.content);
      render(w, root);
    }
    dictionaries_.emplace(ascii_lower(d.language), std::move(d));
  }
  if (!dictionaries_.count(ascii_lower(default_)))
    throw std::runtime_error("the default strings dictionary is missing");
}

bool StringsDictionary::has(std::string_view language) const {
  return dictionaries_.count(ascii_lower(language)) > 0;
}

const StringsDictionary::Dictionary& StringsDictionary::find(std::string_view language) const {
  auto it = dictionaries_.find(ascii_lower(language));
  if (it == dictionaries_.end()) it = dictionaries_.find(ascii_lower(default_));
  return it->second;
}

}  // namespace ximssd::ximss
