// Rules as XML (E-im-roster-files-more.md section 6): the body of a `rule` element (condition,
// action and comment elements), as the XIMSS requests carry it and the `rule` data message shows
// it, and the stored form of a whole Rule set (an account setting). Coroutine-free.
#pragma once

#include <pugixml.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "delivery/rules/rule.hpp"
#include "formats/xml/xml_writer.hpp"

namespace ximssd::delivery {

// Reads `node`'s condition, action and comment children into `rule` (replacing what it had).
// Throws Failure(badRequest) for another element, a second comment, or a condition or action
// without opCode. Does not validate the vocabulary (validate_rule does).
void read_rule_body(const pugi::xml_node& node, Rule& rule);

// Writes the condition, action and comment elements into the element `out` has open.
void write_rule_body(xml::XmlWriter& out, const Rule& rule);

// The stored form: <rules><rule name="" priority="" [stage=""]>body</rule>...</rules>.
std::string serialize_rule_set(const std::vector<Rule>& rules);

// Reads the stored form. A Rule that does not read or validate is left out and described in
// `problems` (so that one bad Rule never stops the others); unreadable XML gives no Rules and
// one problem. "" gives no Rules.
std::vector<Rule> parse_rule_set(RuleSetType type, std::string_view stored, std::vector<std::string>* problems = nullptr);

}  // namespace ximssd::delivery
