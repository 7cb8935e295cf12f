#include "delivery/rules/rule_xml.hpp"

#include <cstring>

#include "base/error.hpp"

namespace ximssd::delivery {

namespace {

// Whitespace-only text is kept ("Tag Subject" may hold a single space), as the request parser
// keeps it.
constexpr unsigned kParseOptions = (pugi::parse_default & ~pugi::parse_doctype) | pugi::parse_ws_pcdata_single;

std::string text_of(const pugi::xml_node& node) {
  std::string out;
  for (auto child : node.children())
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) out += child.value();
  return out;
}

}  // namespace

void read_rule_body(const pugi::xml_node& node, Rule& rule) {
  rule.conditions.clear();
  rule.actions.clear();
  rule.comment.reset();
  for (auto child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    std::string_view name = child.name();
    if (name == "condition") {
      auto op_code = child.attribute("opCode");
      if (!op_code || !*op_code.value()) throw Failure(ErrorCode::badRequest, "a Rule condition needs an opCode");
      rule.conditions.push_back({op_code.value(), child.attribute("operator").value(), text_of(child)});
    } else if (name == "action") {
      auto op_code = child.attribute("opCode");
      if (!op_code || !*op_code.value()) throw Failure(ErrorCode::badRequest, "a Rule action needs an opCode");
      rule.actions.push_back({op_code.value(), text_of(child)});
    } else if (name == "comment") {
      if (rule.comment) throw Failure(ErrorCode::badRequest, "a Rule has at most one comment");
      rule.comment = text_of(child);
    } else {
      throw Failure(ErrorCode::badRequest, "unexpected element <" + std::string(name) +
                                               "> in a Rule (only condition, action and comment)");
    }
    if (rule.conditions.size() > kMaxRuleItems || rule.actions.size() > kMaxRuleItems)
      throw Failure(ErrorCode::badRequest, "a Rule has at most " + std::to_string(kMaxRuleItems) +
                                               " conditions and " + std::to_string(kMaxRuleItems) + " actions");
  }
}

void write_rule_body(xml::XmlWriter& out, const Rule& rule) {
  for (const auto& c : rule.conditions) {
    out.open("condition").attr("opCode", c.op_code);
    if (!c.op.empty()) out.attr("operator", c.op);
    out.text(c.parameter).close();
  }
  for (const auto& a : rule.actions) out.open("action").attr("opCode", a.op_code).text(a.parameter).close();
  if (rule.comment) out.element("comment", *rule.comment);
}

std::string serialize_rule_set(const std::vector<Rule>& rules) {
  std::string out;
  xml::XmlWriter w(out);
  w.open("rules");
  for (const auto& rule : rules) {
    w.open("rule").attr("name", rule.name).attr("priority", rule.priority).attr_if("stage", rule.stage);
    write_rule_body(w, rule);
    w.close();
  }
  w.close();
  return out;
}

std::vector<Rule> parse_rule_set(RuleSetType type, std::string_view stored, std::vector<std::string>* problems) {
  std::vector<Rule> rules;
  if (stored.empty()) return rules;
  pugi::xml_document doc;
  auto result = doc.load_buffer(stored.data(), stored.size(), kParseOptions, pugi::encoding_utf8);
  if (!result) {
    if (problems) problems->push_back(std::string("the stored Rules are not readable XML: ") + result.description());
    return rules;
  }
  for (auto node : doc.child("rules").children("rule")) {
    Rule rule;
    try {
      rule.name = node.attribute("name").value();
      rule.priority = parse_rule_priority(node.attribute("priority").value());
      rule.stage = node.attribute("stage").value();
      read_rule_body(node, rule);
      validate_rule(type, rule);
      rules.push_back(std::move(rule));
    } catch (const Failure& f) {
      if (problems) problems->push_back("Rule \"" + rule.name + "\": " + f.what());
    }
  }
  return rules;
}

}  // namespace ximssd::delivery
