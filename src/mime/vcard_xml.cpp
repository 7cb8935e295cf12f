#include "mime/vcard_xml.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "base/base64.hpp"
#include "base/error.hpp"
#include "base/text.hpp"
#include "mime/gmime_support.hpp"
#include "mime/part_content.hpp"
#include "mime/render_state.hpp"

namespace ximssd::mime {

namespace {

[[noreturn]] void bad(const std::string& what) { throw Failure(ErrorCode::badRequest, what); }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_name_char); }

const char* begin_word(CardKind kind) { return kind == CardKind::vcard ? "VCARD" : "VGROUP"; }
const char* element_name(CardKind kind) { return kind == CardKind::vcard ? "vCard" : "vCardGroup"; }

// The parts of a value that has components, by property; components past the last name are not kept.
struct Structure {
  std::string_view property;
  std::vector<std::string_view> parts;
  bool lists;  // each component is itself a comma list (N, ADR), so commas are not escaped
};
const std::array<Structure, 3> kStructures = {{
    {"N", {"FAMILY", "GIVEN", "MIDDLE", "PREFIX", "SUFFIX"}, true},
    {"ADR", {"POBOX", "EXTADD", "STREET", "LOCALITY", "REGION", "PCODE", "CTRY"}, true},
    {"GEO", {"LAT", "LON"}, false},
}};

const Structure* structure_of(std::string_view name) {
  for (const auto& s : kStructures)
    if (s.property == name) return &s;
  return nullptr;
}

// Properties whose value may be inline data.
bool is_binary_property(std::string_view name) {
  return name == "PHOTO" || name == "LOGO" || name == "SOUND" || name == "KEY";
}

// Properties whose value is a URI: written back without text escaping.
bool is_uri_property(std::string_view name) {
  return name == "URL" || name == "MEMBER" || name == "SOURCE" || name == "IMPP" || name == "FBURL" ||
         name == "CALURI" || name == "CALADRURI";
}

// The element holding the value of properties that have one value element.
const char* value_element(std::string_view name) {
  if (name == "EMAIL") return "USERID";
  if (name == "TEL") return "NUMBER";
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Reading vCard text

struct Param {
  std::string name;  // upper case
  std::string value;
};

struct Property {
  std::string group, name;  // name in upper case
  std::vector<Param> params;
  std::string value;  // as written, still encoded and escaped
};

std::vector<std::string_view> physical_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r' && text[i] != '\n') continue;
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

// The name-and-parameters part of a line, upper-cased, to see how its value is encoded.
std::string line_head(std::string_view line) { return upper(line.substr(0, std::min(line.find(':'), line.size()))); }

bool looks_like_base64(std::string_view line) {
  return !line.empty() && std::all_of(line.begin(), line.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
           c == '=' || c == ' ' || c == '\t';
  });
}

// Content lines after unfolding. vCard 3.0 and 4.0 folds drop the line break and one white
// space; vCard 2.1 folds keep the white space. Two 2.1 habits are followed too: a
// quoted-printable value continues after a line ending in '=' (a soft break, decoded later),
// and base64 data may go on in lines that are not indented.
std::vector<std::string> content_lines(std::string_view text) {
  std::vector<std::string> lines;
  bool version_21 = false, quoted_printable = false, base64 = false;
  for (std::string_view line : physical_lines(text)) {
    if (!lines.empty()) {
      std::string& last = lines.back();
      if (quoted_printable && !last.empty() && last.back() == '=') {
        last.append("\r\n").append(line);
        continue;
      }
      if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
        last.append(version_21 ? line : line.substr(1));
        continue;
      }
      if (base64 && version_21 && line.find(':') == std::string_view::npos && looks_like_base64(line)) {
        last.append(line);
        continue;
      }
    }
    if (trim_whitespace(line).empty()) continue;
    lines.emplace_back(line);
    std::string head = line_head(line);
    quoted_printable = head.find("QUOTED-PRINTABLE") != std::string::npos;
    base64 = head.find("BASE64") != std::string::npos;
    if (head == "BEGIN") version_21 = false;
    if (head == "VERSION") version_21 = trim_whitespace(line.substr(line.find(':') + 1)) == "2.1";
  }
  return lines;
}

// vCard 2.1 lets parameters stand without a name: `TEL;WORK;VOICE:`, `NOTE;QUOTED-PRINTABLE:`.
std::string bare_parameter_name(std::string_view value) {
  std::string v = upper(value);
  if (v == "QUOTED-PRINTABLE" || v == "BASE64" || v == "8BIT" || v == "7BIT" || v == "B") return "ENCODING";
  if (v == "INLINE" || v == "URL" || v == "URI" || v == "CONTENT-ID" || v == "CID") return "VALUE";
  return "TYPE";
}

// [group.]name *(";" param) ":" value. Null for a line that is not a property.
std::optional<Property> parse_property(std::string_view line) {
  Property property;
  size_t i = 0;
  auto token = [&] {
    size_t start = i;
    while (i < line.size() && is_name_char(line[i])) ++i;
    return line.substr(start, i - start);
  };
  std::string_view name = token();
  if (i < line.size() && line[i] == '.') {
    property.group = std::string(name);
    ++i;
    name = token();
  }
  if (name.empty()) return std::nullopt;
  property.name = upper(name);
  while (i < line.size() && line[i] == ';') {
    ++i;
    size_t start = i;
    while (i < line.size() && line[i] != '=' && line[i] != ';' && line[i] != ':') ++i;
    std::string param_name = trim_whitespace(line.substr(start, i - start));
    if (i < line.size() && line[i] == '=') {
      ++i;
      std::string value;
      for (;;) {
        if (i < line.size() && line[i] == '"') {
          size_t close = line.find('"', i + 1);
          if (close == std::string_view::npos) return std::nullopt;
          value.append(line.substr(i + 1, close - i - 1));
          i = close + 1;
        } else {
          size_t end = line.find_first_of(",;:", i);
          if (end == std::string_view::npos) return std::nullopt;
          value.append(line.substr(i, end - i));
          i = end;
        }
        if (i < line.size() && line[i] == ',') {
          value += ',';
          ++i;
          continue;
        }
        break;
      }
      property.params.push_back({upper(param_name), value});
    } else if (!param_name.empty()) {
      property.params.push_back({bare_parameter_name(param_name), param_name});
    }
  }
  if (i >= line.size() || line[i] != ':') return std::nullopt;
  property.value = std::string(line.substr(i + 1));
  return property;
}

std::string param_value(const Property& property, std::string_view name) {
  std::string value;
  for (const auto& p : property.params)
    if (p.name == name) value = p.value;
  return value;
}

std::string quoted_printable_decode(std::string_view data) {
  ensure_gmime();
  std::string out(data.size() + 3, '\0');
  int state = 0;
  guint32 save = 0;
  size_t n = g_mime_encoding_quoted_decode_step(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                                                 reinterpret_cast<unsigned char*>(out.data()), &state, &save);
  out.resize(n);
  return out;
}

// Bytes in `charset` (empty: unknown) as UTF-8.
std::string to_utf8(const std::string& bytes, const std::string& charset) {
  if (!charset.empty() && !iequals(charset, "utf-8") && !is_valid_utf8(bytes)) {
    gsize written = 0;
    char* converted = g_convert(bytes.data(), static_cast<gssize>(bytes.size()), "UTF-8", charset.c_str(), nullptr,
                                &written, nullptr);
    if (converted) {
      std::string out(converted, written);
      g_free(converted);
      return out;
    }
  }
  return to_valid_utf8(bytes);
}

// Splits at every `separator` not escaped by a backslash; the pieces stay escaped.
std::vector<std::string> split_escaped(std::string_view value, char separator) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      parts.back() += value[i];
      parts.back() += value[++i];
    } else if (value[i] == separator) {
      parts.emplace_back();
    } else {
      parts.back() += value[i];
    }
  }
  return parts;
}

// \\ \n \N \, \; \: are escapes; any other backslash stays (vCard 2.1 text does not escape it).
std::string unescape(std::string_view value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\' || i + 1 == value.size()) {
      out += value[i];
      continue;
    }
    char next = value[i + 1];
    if (next == 'n' || next == 'N') out += '\n';
    else if (next == '\\' || next == ',' || next == ';' || next == ':') out += next;
    else {
      out += '\\';
      continue;
    }
    ++i;
  }
  return out;
}

// The values of a TYPE parameter (parameter values have no backslash escapes).
std::vector<std::string> type_values(std::string_view list) {
  std::vector<std::string> values;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = std::min(list.find(',', start), list.size());
    if (std::string value = trim_whitespace(list.substr(start, comma - start)); !value.empty()) values.push_back(value);
    start = comma + 1;
  }
  return values;
}

// A parameter value cannot hold a double quote or a control character: stray ones are dropped.
std::string without_quotes_and_controls(std::string_view value) {
  std::string out;
  for (char c : value)
    if (c != '"' && static_cast<unsigned char>(c) >= 0x20) out += c;
  return out;
}

// One property as an element (see the header for the rules). False when its data is broken.
bool write_property(xml::XmlWriter& out, const Property& property, std::string& error) {
  if (!is_xml_name(property.name)) return true;  // not expressible as an element: left out
  std::string encoding = upper(param_value(property, "ENCODING"));
  bool base64 = encoding == "B" || encoding == "BASE64";
  std::string value;  // decoded from its transfer encoding; still escaped unless binary
  if (base64) {
    std::string compact;
    for (char c : property.value)
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact += c;
    auto data = base64_decode(compact);
    if (!data) {
      error = property.name + " has data that is not base64";
      return false;
    }
    value = std::move(*data);
  } else if (encoding == "QUOTED-PRINTABLE") {
    value = quoted_printable_decode(property.value);
  } else {
    value = property.value;
  }
  bool binary = base64 && is_binary_property(property.name);
  if (!binary && (base64 || encoding == "QUOTED-PRINTABLE")) value = lf_line_ends(to_utf8(value, param_value(property, "CHARSET")));
  else if (!binary) value = lf_line_ends(to_valid_utf8(value));

  std::string value_type = upper(param_value(property, "VALUE"));
  bool external = is_binary_property(property.name) && !binary;
  std::vector<std::string> types;
  std::string other_types;  // type values that are not XML names, for the TYPE attribute
  std::vector<Param> attributes;
  for (const auto& p : property.params) {
    if (p.name == "ENCODING" || p.name == "CHARSET") continue;
    if (p.name == "VALUE" && external && (value_type == "URI" || value_type == "URL")) continue;
    if (p.name == "TYPE") {
      for (const auto& type : type_values(without_quotes_and_controls(to_valid_utf8(p.value)))) {
        if (is_xml_name(type)) types.push_back(type);
        else other_types += (other_types.empty() ? "" : ",") + type;
      }
      continue;
    }
    if (!is_xml_name(p.name) || !is_token(p.name)) continue;
    std::string value = without_quotes_and_controls(to_valid_utf8(p.value));
    auto same = std::find_if(attributes.begin(), attributes.end(), [&](const Param& a) { return a.name == p.name; });
    if (same == attributes.end()) attributes.push_back({p.name, value});
    else same->value += "," + value;
  }

  out.open(property.name);
  if (!property.group.empty()) out.attr("group", property.group);
  if (!other_types.empty()) out.attr("TYPE", other_types);
  for (const auto& a : attributes) out.attr(a.name, a.value);
  for (const auto& t : types) out.open(t).close();
  const Structure* structure = structure_of(property.name);
  if (structure && (property.name != "GEO" || value.find(';') != std::string::npos)) {
    auto components = split_escaped(value, ';');
    for (size_t i = 0; i < components.size() && i < structure->parts.size(); ++i) {
      std::string component = unescape(components[i]);
      if (!trim_whitespace(component).empty()) out.element(structure->parts[i], component);
    }
  } else if (property.name == "ORG") {
    auto components = split_escaped(value, ';');
    for (size_t i = 0; i < components.size(); ++i) {
      std::string component = unescape(components[i]);
      if (!trim_whitespace(component).empty()) out.element(i == 0 ? "ORGNAME" : "ORGUNIT", component);
    }
  } else if (property.name == "CATEGORIES") {
    for (const auto& keyword : split_escaped(value, ','))
      if (std::string k = unescape(keyword); !trim_whitespace(k).empty()) out.element("KEYWORD", k);
  } else if (binary) {
    out.element("BINVAL", base64_encode(value));
  } else if (external) {
    out.element("EXTVAL", unescape(value));
  } else if (const char* element = value_element(property.name)) {
    out.element(element, unescape(value));
  } else if (!value.empty()) {
    out.text(unescape(value));
  }
  out.close();
  return true;
}

}  // namespace

bool write_cards_xml(xml::XmlWriter& out, std::string_view text, CardKind kind, std::string& error) {
  std::string xml;
  xml::XmlWriter writer(xml);
  int depth = 0;  // nesting of BEGIN ... END blocks
  bool in_card = false;
  int cards = 0;
  for (const std::string& line : content_lines(text)) {
    auto property = parse_property(line);
    if (!property) continue;
    if (property->name == "BEGIN") {
      if (depth == 0 && iequals(trim_whitespace(property->value), begin_word(kind))) {
        in_card = true;
        writer.open(element_name(kind));
      }
      ++depth;  // blocks inside a card (a vCard 2.1 AGENT) are skipped
      continue;
    }
    if (property->name == "END") {
      if (depth == 0) continue;
      if (--depth == 0 && in_card) {
        writer.close();
        in_card = false;
        ++cards;
      }
      continue;
    }
    if (!in_card || depth != 1) continue;
    if (kind == CardKind::vcard && property->name == "VERSION") continue;
    if (!write_property(writer, *property, error)) return false;
  }
  if (depth > 0) {
    error = std::string("BEGIN:") + (in_card ? begin_word(kind) : "...") + " without its END";
    return false;
  }
  if (cards == 0 && !trim_whitespace(text).empty()) {
    error = std::string("no BEGIN:") + begin_word(kind);
    return false;
  }
  out.raw(xml);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Writing vCard text

namespace {

enum class Escape { text, list, uri };

// Text escaping of vCard 3.0; a list keeps its commas, a URI escapes nothing but line breaks.
std::string escape(std::string_view value, Escape how) {
  std::string out;
  for (char c : value) {
    if (c == '\r') continue;
    if (c == '\n') {
      out += "\\n";  // even in a URI: a line break cannot stand in a content line
      continue;
    }
    if (how != Escape::uri && (c == '\\' || c == ';' || (c == ',' && how == Escape::text))) out += '\\';
    out += c;
  }
  return out;
}

// The text directly inside an element (not inside its children).
std::string own_text(pugi::xml_node node) {
  std::string text;
  for (auto child : node.children())
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) text += child.value();
  return text;
}

// Folds at 75 octets, never inside a UTF-8 sequence; continuation lines start with a space.
void append_folded(std::string& out, std::string_view line) {
  size_t limit = 75;
  while (line.size() > limit) {
    size_t cut = limit;
    while (cut > 1 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    out.append(line.substr(0, cut)).append("\r\n ");
    line.remove_prefix(cut);
    limit = 74;
  }
  out.append(line).append("\r\n");
}

std::string parameter_text(const std::string& name, const std::string& value, const std::string& property) {
  for (char c : value)
    if (c == '"' || static_cast<unsigned char>(c) < 0x20)
      bad(property + " parameter " + name + " cannot hold a double quote or a control character");
  bool quote = name != "TYPE" && value.find_first_of(":;,") != std::string::npos;
  return ";" + name + "=" + (quote ? "\"" + value + "\"" : value);
}

std::string property_line(pugi::xml_node node, CardKind kind) {
  std::string name = upper(node.name());
  if (!is_token(name)) bad(std::string(node.name()) + " is not a vCard property name");
  if (name == "BEGIN" || name == "END") bad(name + " cannot be a property of a " + element_name(kind));
  std::string line;
  if (const char* group = node.attribute("group").value(); *group) {
    if (!is_token(group)) bad(name + " group \"" + group + "\" is not a vCard group name");
    line = std::string(group) + ".";
  }
  line += name;

  std::vector<std::string> types;
  std::string params, value_type;
  bool has_value_type = false;
  for (auto attribute : node.attributes()) {
    std::string_view attribute_name = attribute.name();
    if (attribute_name == "group" || attribute_name.substr(0, 5) == "xmlns") continue;
    std::string param = upper(attribute_name);
    if (!is_token(param)) bad(name + " attribute " + std::string(attribute_name) + " is not a parameter name");
    if (param == "ENCODING" || param == "CHARSET") continue;  // the text is written in UTF-8, data in base64
    if (param == "TYPE") {
      for (auto& type : type_values(attribute.value())) types.push_back(type);
      continue;
    }
    if (param == "VALUE") {
      value_type = upper(attribute.value());
      has_value_type = true;
    }
    params += parameter_text(param, attribute.value(), name);
  }

  const Structure* structure = structure_of(name);
  const char* single = value_element(name);
  std::vector<std::string> components(structure ? structure->parts.size() : 0);
  std::vector<std::string> org_units, keywords;
  std::optional<std::string> org_name, binval, extval, single_value;
  bool has_components = false;
  for (auto child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    std::string_view child_name = child.name();
    bool taken = true;
    if (structure) {
      auto it = std::find(structure->parts.begin(), structure->parts.end(), child_name);
      if (it != structure->parts.end()) {
        components[static_cast<size_t>(it - structure->parts.begin())] = own_text(child);
        has_components = true;
      } else {
        taken = false;
      }
    } else if (name == "ORG" && child_name == "ORGNAME") {
      org_name = own_text(child);
    } else if (name == "ORG" && child_name == "ORGUNIT") {
      org_units.push_back(own_text(child));
    } else if (name == "CATEGORIES" && child_name == "KEYWORD") {
      keywords.push_back(own_text(child));
    } else if (is_binary_property(name) && child_name == "BINVAL") {
      binval = own_text(child);
    } else if (is_binary_property(name) && child_name == "EXTVAL") {
      extval = own_text(child);
    } else if (single && child_name == single) {
      single_value = own_text(child);
    } else {
      taken = false;
    }
    if (taken) continue;
    if (child_name == "TYPE" && !own_text(child).empty()) {
      types.push_back(trim_whitespace(own_text(child)));  // XEP-0054 writes <TYPE>image/jpeg</TYPE>
    } else if (!child.first_child()) {
      types.push_back(std::string(child_name));
    } else {
      bad(name + " has an unexpected element " + std::string(child_name));
    }
  }

  std::string value, generated;  // generated: the ENCODING or VALUE and TYPE parameters, written first
  if (structure && (has_components || name != "GEO")) {
    for (size_t i = 0; i < components.size(); ++i)
      value += (i ? ";" : "") + escape(components[i], structure->lists ? Escape::list : Escape::text);
  } else if (name == "ORG" && (org_name || !org_units.empty())) {
    value = escape(org_name.value_or(""), Escape::text);
    for (const auto& unit : org_units) value += ";" + escape(unit, Escape::text);
  } else if (name == "CATEGORIES" && !keywords.empty()) {
    for (size_t i = 0; i < keywords.size(); ++i) value += (i ? "," : "") + escape(keywords[i], Escape::text);
  } else if (binval) {
    std::string compact;
    for (char c : *binval)
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact += c;
    if (!base64_decode(compact)) bad(name + " BINVAL is not base64");
    generated = ";ENCODING=b";
    value = compact;
  } else if (is_binary_property(name)) {
    // EXTVAL, or a bare text taken as one: a reference to the data.
    if (!has_value_type) generated = ";VALUE=uri";
    value = escape(extval ? *extval : trim_whitespace(own_text(node)), Escape::uri);
  } else {
    std::string text = single_value ? *single_value : own_text(node);
    Escape how = Escape::text;
    // GEO without LAT and LON is vCard 4.0's geo: URI.
    if (is_uri_property(name) || name == "GEO" || value_type == "URI" || value_type == "URL") how = Escape::uri;
    else if (name == "NICKNAME" || name == "CATEGORIES") how = Escape::list;
    value = escape(text, how);
  }
  if (!types.empty()) {
    std::string joined;
    for (const auto& t : types) {
      for (char c : t)
        if (c == '"' || static_cast<unsigned char>(c) < 0x20) bad(name + " type \"" + t + "\" cannot be written");
      joined += (joined.empty() ? "" : ",") + (t.find_first_of(":;") == std::string::npos ? t : "\"" + t + "\"");
    }
    generated += ";TYPE=" + joined;
  }
  return line + generated + params + ":" + value;
}

}  // namespace

std::string card_text(pugi::xml_node card) {
  std::string_view element = card.name();
  CardKind kind;
  if (element == "vCard") kind = CardKind::vcard;
  else if (element == "vCardGroup") kind = CardKind::vgroup;
  else bad(std::string(element) + " is neither a vCard nor a vCardGroup");
  std::string out = std::string("BEGIN:") + begin_word(kind) + "\r\n";
  if (kind == CardKind::vcard) out += "VERSION:3.0\r\n";
  for (auto property : card.children()) {
    if (property.type() != pugi::node_element) continue;
    if (kind == CardKind::vcard && iequals(property.name(), "VERSION")) continue;
    append_folded(out, property_line(property, kind));
  }
  out += std::string("END:") + begin_word(kind) + "\r\n";
  return out;
}

std::string cards_text(pugi::xml_node parent, CardKind kind) {
  std::string out;
  bool any = false;
  for (auto card : parent.children(element_name(kind))) {
    out += card_text(card);
    any = true;
  }
  if (!any) bad(std::string("no ") + element_name(kind) + " element");
  return out;
}

}  // namespace ximssd::mime
