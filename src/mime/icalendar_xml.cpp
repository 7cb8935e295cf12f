#include "mime/icalendar_xml.hpp"

#include <libical/ical.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <vector>

#include "base/error.hpp"
#include "base/text.hpp"
#include "mime/render_state.hpp"

namespace ximssd::mime {

namespace {

[[noreturn]] void bad(const std::string& what) { throw Failure(ErrorCode::badRequest, what); }

// libical 3.0 drops property and parameter names it does not know unless they start with
// "X-" (BUSYSTATUS in the reference's example, names registered after it). Such names are
// read under this prefix and written back without it.
constexpr std::string_view kUnknownNamePrefix = "X-XIMSSD-IANA-";
// iCalendar nests four levels at most; deeper text is not read (libical frees recursively).
constexpr int kMaxDepth = 16;

struct ComponentFree {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using ComponentPtr = std::unique_ptr<icalcomponent, ComponentFree>;
struct PropertyFree {
  void operator()(icalproperty* p) const { icalproperty_free(p); }
};
using PropertyPtr = std::unique_ptr<icalproperty, PropertyFree>;

std::string take_ical_string(char* s) {
  std::string out = s ? s : "";
  if (s) icalmemory_free_buffer(s);
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool starts_with_x(std::string_view name) { return name.size() > 2 && (name[0] == 'X' || name[0] == 'x') && name[1] == '-'; }

std::string without_prefix(std::string name) {
  if (name.size() > kUnknownNamePrefix.size() && iequals(std::string_view(name).substr(0, kUnknownNamePrefix.size()), kUnknownNamePrefix))
    name.erase(0, kUnknownNamePrefix.size());
  return name;
}

bool known_parameter(const std::string& name) {
  icalparameter_kind kind = icalparameter_string_to_kind(name.c_str());
  return kind != ICAL_NO_PARAMETER && kind != ICAL_IANA_PARAMETER;
}

// One unfolded content line with unknown names prefixed (see kUnknownNamePrefix).
std::string mark_unknown_names(std::string_view line) {
  size_t i = 0;
  auto token = [&] {
    size_t start = i;
    while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '-')) ++i;
    return std::string(line.substr(start, i - start));
  };
  std::string out;
  std::string name = token();
  if (name.empty() || i == line.size() || (line[i] != ';' && line[i] != ':') || iequals(name, "BEGIN") ||
      iequals(name, "END"))
    return std::string(line);
  if (!starts_with_x(name) && icalproperty_string_to_kind(name.c_str()) == ICAL_NO_PROPERTY)
    out += kUnknownNamePrefix;
  out += name;
  while (i < line.size() && line[i] == ';') {
    out += line[i++];
    std::string param = token();
    if (!param.empty() && !starts_with_x(param) && !known_parameter(param)) out += kUnknownNamePrefix;
    out += param;
    // The value, as it is: quoted strings may hold ';' and ':'.
    size_t start = i;
    while (i < line.size() && line[i] != ';' && line[i] != ':') {
      if (line[i] == '"') {
        size_t close = line.find('"', i + 1);
        i = close == std::string_view::npos ? line.size() : close + 1;
      } else {
        ++i;
      }
    }
    out += line.substr(start, i - start);
  }
  out += line.substr(i);
  return out;
}

// The text as libical should read it: unfolded, CRLF line ends, unknown names marked.
// Null when BEGIN blocks nest deeper than kMaxDepth or an END comes before its BEGIN (which
// libical would report on the standard error).
std::optional<std::string> prepare(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find_first_of("\r\n", start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (end == std::string_view::npos) start = text.size();
    else start = end + (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n' ? 2 : 1);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !lines.empty()) lines.back().append(line.substr(1));
    else if (!line.empty()) lines.emplace_back(line);
  }
  std::string out;
  int depth = 0;
  for (const auto& line : lines) {
    std::string head = upper(line.substr(0, std::min(line.size(), size_t{6})));
    if (head.starts_with("BEGIN:") && ++depth > kMaxDepth) return std::nullopt;
    if (head.starts_with("END:") && --depth < 0) return std::nullopt;
    out += mark_unknown_names(line);
    out += "\r\n";
  }
  return out;
}

std::optional<std::string> first_parse_error(icalcomponent* component) {
  if (icalproperty* error = icalcomponent_get_first_property(component, ICAL_XLICERROR_PROPERTY))
    return std::string(icalproperty_get_xlicerror(error) ? icalproperty_get_xlicerror(error) : "unreadable line");
  for (icalcomponent* c = icalcomponent_get_first_component(component, ICAL_ANY_COMPONENT); c;
       c = icalcomponent_get_next_component(component, ICAL_ANY_COMPONENT))
    if (auto error = first_parse_error(c)) return error;
  return std::nullopt;
}

std::string property_name(icalproperty* property) {
  if (icalproperty_isa(property) == ICAL_X_PROPERTY)
    return without_prefix(icalproperty_get_x_name(property) ? icalproperty_get_x_name(property) : "");
  return take_ical_string(icalproperty_get_property_name_r(property));
}

// The value as iCalendar writes it, but text unescaped.
std::string property_value(icalproperty* property) {
  icalvalue* value = icalproperty_get_value(property);
  if (!value) return {};
  const char* text = nullptr;
  if (icalvalue_isa(value) == ICAL_TEXT_VALUE) text = icalvalue_get_text(value);
  else if (icalvalue_isa(value) == ICAL_X_VALUE) text = icalvalue_get_x(value);
  else return to_valid_utf8(take_ical_string(icalproperty_get_value_as_string_r(property)));
  return to_valid_utf8(text ? text : "");
}

// The property's parameters as attributes: name (TZID as "tzid", others in upper case) and value.
std::vector<std::pair<std::string, std::string>> parameter_attributes(icalproperty* property) {
  std::vector<std::pair<std::string, std::string>> attributes;
  for (icalparameter* p = icalproperty_get_first_parameter(property, ICAL_ANY_PARAMETER); p;
       p = icalproperty_get_next_parameter(property, ICAL_ANY_PARAMETER)) {
    std::string text = take_ical_string(icalparameter_as_ical_string_r(p));
    size_t equals = text.find('=');
    if (equals == std::string::npos) continue;
    std::string name = upper(without_prefix(text.substr(0, equals)));
    std::string value = text.substr(equals + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (name == "TZID") name = "tzid";
    if (!is_xml_name(name)) continue;
    auto same = std::find_if(attributes.begin(), attributes.end(), [&](const auto& a) { return a.first == name; });
    if (same == attributes.end()) attributes.emplace_back(name, to_valid_utf8(value));
    else same->second += "," + to_valid_utf8(value);
  }
  return attributes;
}

void write_property(xml::XmlWriter& out, icalproperty* property) {
  std::string name = ascii_lower(property_name(property));
  if (!is_xml_name(name)) return;
  out.open(name);
  for (const auto& [attribute, value] : parameter_attributes(property)) out.attr(attribute, value);
  out.text(property_value(property));
  out.close();
}

std::vector<icalproperty*> properties_of(icalcomponent* component) {
  std::vector<icalproperty*> properties;
  for (icalproperty* p = icalcomponent_get_first_property(component, ICAL_ANY_PROPERTY); p;
       p = icalcomponent_get_next_property(component, ICAL_ANY_PROPERTY))
    properties.push_back(p);
  return properties;
}

void write_component(xml::XmlWriter& out, icalcomponent* component) {
  icalcomponent_kind kind = icalcomponent_isa(component);
  if (kind == ICAL_X_COMPONENT || kind == ICAL_NO_COMPONENT) return;
  std::vector<icalproperty*> elements;
  std::string name = ascii_lower(icalcomponent_kind_to_string(kind));  // the writer keeps a view of it until close
  if (kind == ICAL_VCALENDAR_COMPONENT) {
    out.open("vCalendar");
    std::vector<std::string> used;
    for (icalproperty* p : properties_of(component)) {
      std::string attribute = ascii_lower(property_name(p));
      bool plain = !icalproperty_get_first_parameter(p, ICAL_ANY_PARAMETER);
      if (plain && is_xml_name(attribute) && std::find(used.begin(), used.end(), attribute) == used.end()) {
        out.attr(attribute, property_value(p));
        used.push_back(attribute);
      } else {
        elements.push_back(p);
      }
    }
  } else {
    out.open(name);
    elements = properties_of(component);
  }
  for (icalproperty* p : elements) write_property(out, p);
  for (icalcomponent* c = icalcomponent_get_first_component(component, ICAL_ANY_COMPONENT); c;
       c = icalcomponent_get_next_component(component, ICAL_ANY_COMPONENT))
    write_component(out, c);
  out.close();
}

}  // namespace

bool write_icalendar_xml(xml::XmlWriter& out, std::string_view text, std::string& error) {
  auto prepared = prepare(text);
  if (!prepared) {
    error = "iCalendar objects nested too deeply, or END without BEGIN";
    return false;
  }
  ComponentPtr root(icalparser_parse_string(prepared->c_str()));
  std::vector<icalcomponent*> calendars;
  if (root && icalcomponent_isa(root.get()) == ICAL_VCALENDAR_COMPONENT) {
    calendars.push_back(root.get());
  } else if (root && icalcomponent_isa(root.get()) == ICAL_XROOT_COMPONENT) {
    for (icalcomponent* c = icalcomponent_get_first_component(root.get(), ICAL_VCALENDAR_COMPONENT); c;
         c = icalcomponent_get_next_component(root.get(), ICAL_VCALENDAR_COMPONENT))
      calendars.push_back(c);
  }
  if (calendars.empty()) {
    error = "no VCALENDAR object";
    return false;
  }
  if (auto problem = first_parse_error(root.get())) {
    error = "iCalendar: " + to_valid_utf8(*problem);
    return false;
  }
  std::string xml;
  {
    xml::XmlWriter writer(xml);
    writer.open("iCalendar").attr("xmlns", kXCalNamespace);
    for (icalcomponent* calendar : calendars) write_component(writer, calendar);
  }
  out.raw(xml);
  return true;
}

// ---------------------------------------------------------------------------------------------
// XML to iCalendar

namespace {

std::string own_text(pugi::xml_node node) {
  std::string text;
  for (auto child : node.children())
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) text += child.value();
  return text;
}

bool is_namespace_attribute(std::string_view name) { return name.substr(0, 5) == "xmlns"; }

icalvalue* make_value(icalvalue_kind kind, const std::string& text) {
  if (kind == ICAL_TEXT_VALUE) return icalvalue_new_text(text.c_str());
  if (kind == ICAL_X_VALUE) return icalvalue_new_x(text.c_str());
  icalvalue* value = icalvalue_new_from_string(kind, text.c_str());
  // A date where a date-time is the default, without VALUE=DATE: libical's parser allows it too.
  if (!value && kind == ICAL_DATETIME_VALUE) value = icalvalue_new_from_string(ICAL_DATE_VALUE, text.c_str());
  return value;
}

icalparameter* make_parameter(const std::string& name, const std::string& value, const std::string& property) {
  for (char c : value)
    if (c == '"' || static_cast<unsigned char>(c) < 0x20)
      bad(property + " parameter " + name + " cannot hold a double quote or a control character");
  icalparameter_kind kind = icalparameter_string_to_kind(name.c_str());
  icalparameter* parameter = nullptr;
  if (kind == ICAL_X_PARAMETER) {
    parameter = icalparameter_new_x(value.c_str());
    icalparameter_set_xname(parameter, name.c_str());
  } else if (kind == ICAL_NO_PARAMETER || kind == ICAL_IANA_PARAMETER) {
    parameter = icalparameter_new(ICAL_IANA_PARAMETER);
    icalparameter_set_iana_name(parameter, name.c_str());
    icalparameter_set_iana_value(parameter, value.c_str());
  } else {
    parameter = icalparameter_new_from_value_string(kind, value.c_str());
  }
  if (!parameter) bad(property + " parameter " + name + "=\"" + value + "\" is not valid");
  return parameter;
}

// A property from its name, value text and (for elements) parameter attributes.
icalproperty* make_property(const std::string& name, const std::string& text, pugi::xml_node parameters) {
  if (!is_token(name)) bad(name + " is not an iCalendar property name");
  std::string lower_name = ascii_lower(name);
  std::string value_type;
  for (auto attribute : parameters.attributes())
    if (iequals(attribute.name(), "VALUE")) value_type = attribute.value();
  icalproperty_kind kind = icalproperty_string_to_kind(name.c_str());
  PropertyPtr property;
  if (kind == ICAL_NO_PROPERTY || kind == ICAL_X_PROPERTY) {
    property.reset(icalproperty_new(ICAL_X_PROPERTY));
    icalproperty_set_x_name(property.get(), name.c_str());
    icalproperty_set_value(property.get(), icalvalue_new_x(text.c_str()));
  } else {
    icalvalue_kind value_kind =
        value_type.empty() ? icalproperty_kind_to_value_kind(kind) : icalvalue_string_to_kind(value_type.c_str());
    if (value_kind == ICAL_NO_VALUE) bad(lower_name + " VALUE=\"" + value_type + "\" is not an iCalendar value type");
    icalvalue* value = make_value(value_kind, text);
    if (!value)
      bad(lower_name + " value \"" + text + "\" is not " + ascii_lower(icalvalue_kind_to_string(value_kind)));
    property.reset(icalproperty_new(kind));
    icalproperty_set_value(property.get(), value);
  }
  for (auto attribute : parameters.attributes()) {
    if (is_namespace_attribute(attribute.name())) continue;
    std::string parameter = upper(attribute.name());
    if (!is_token(parameter)) bad(lower_name + " attribute " + attribute.name() + " is not a parameter name");
    icalproperty_add_parameter(property.get(), make_parameter(parameter, attribute.value(), lower_name));
  }
  return property.release();
}

// Components have components or properties inside, or a component's name.
bool is_component(pugi::xml_node node, const std::string& name) {
  icalcomponent_kind kind = icalcomponent_string_to_kind(name.c_str());
  if (kind != ICAL_NO_COMPONENT && kind != ICAL_X_COMPONENT) return true;
  for (auto child : node.children())
    if (child.type() == pugi::node_element) return true;
  return false;
}

void add_children(icalcomponent* component, pugi::xml_node node, int depth) {
  for (auto child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    std::string name = upper(child.name());
    if (!is_component(child, name)) {
      icalcomponent_add_property(component, make_property(name, own_text(child), child));
      continue;
    }
    icalcomponent_kind kind = icalcomponent_string_to_kind(name.c_str());
    if (kind == ICAL_NO_COMPONENT || kind == ICAL_X_COMPONENT || kind == ICAL_XROOT_COMPONENT ||
        kind == ICAL_VCALENDAR_COMPONENT)
      bad(std::string(child.name()) + " is not an iCalendar component that can stand here");
    if (depth >= kMaxDepth) bad("iCalendar components nested too deeply");
    ComponentPtr sub(icalcomponent_new(kind));
    add_children(sub.get(), child, depth + 1);
    icalcomponent_add_component(component, sub.release());
  }
}

}  // namespace

std::string icalendar_text(pugi::xml_node icalendar) {
  if (std::string_view(icalendar.name()) != "iCalendar") bad("an iCalendar element is needed");
  std::string out;
  for (auto node : icalendar.children()) {
    if (node.type() != pugi::node_element) continue;
    if (!iequals(node.name(), "vCalendar")) bad(std::string("iCalendar holds ") + node.name() + ", not vCalendar");
    ComponentPtr calendar(icalcomponent_new(ICAL_VCALENDAR_COMPONENT));
    for (auto attribute : node.attributes()) {
      if (is_namespace_attribute(attribute.name())) continue;
      icalcomponent_add_property(calendar.get(), make_property(upper(attribute.name()), attribute.value(), {}));
    }
    add_children(calendar.get(), node, 1);
    if (!icalcomponent_get_first_property(calendar.get(), ICAL_PRODID_PROPERTY))
      icalcomponent_add_property(calendar.get(), icalproperty_new_prodid("-//ximssd//NONSGML ximssd//EN"));
    if (!icalcomponent_get_first_property(calendar.get(), ICAL_VERSION_PROPERTY))
      icalcomponent_add_property(calendar.get(), icalproperty_new_version("2.0"));
    out += take_ical_string(icalcomponent_as_ical_string_r(calendar.get()));
  }
  if (out.empty()) bad("iCalendar has no vCalendar element");
  return out;
}

}  // namespace ximssd::mime
