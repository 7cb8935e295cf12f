// The account's Rules on arbitrary input: the bytes before the first NUL are a `rule` element
// (as ruleSet carries it), the rest a delivered message. A Rule that validates must survive its
// stored form unchanged; every condition is evaluated and every message edit applied to the
// message without crashing.
#include <pugixml.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "delivery/rules/rule.hpp"
#include "delivery/rules/rule_conditions.hpp"
#include "delivery/rules/rule_message.hpp"
#include "delivery/rules/rule_message_edit.hpp"
#include "delivery/rules/rule_xml.hpp"

using namespace ximssd;
using namespace ximssd::delivery;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string_view xml = input.substr(0, nul);
  std::string_view message = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default & ~pugi::parse_doctype, pugi::encoding_utf8))
    return 0;
  pugi::xml_node node = doc.first_child();
  if (!node) return 0;
  Rule rule;
  try {
    rule.name = node.attribute("name").value();
    rule.priority = parse_rule_priority(node.attribute("priority").value());
    read_rule_body(node, rule);
    validate_rule(RuleSetType::mail_in, rule);
  } catch (const Failure&) {
    return 0;
  }
  auto back = parse_rule_set(RuleSetType::mail_in, serialize_rule_set({rule}));
  if (back.size() != 1 || !(back[0] == rule)) __builtin_trap();

  RuleMessage parsed(message);
  std::vector<std::string> recipients{"u@example.dom"};
  ConditionInput in{parsed, "sender@example.net", recipients, Source::smtp, 20240531, 3600, 5};
  for (const auto& c : rule.conditions) (void)condition_holds(c, in);
  for (const auto& a : rule.actions) {
    if (a.op_code == "Add Header") {
      std::string edited = add_header_line(message, a.parameter);
      if (edited.size() <= message.size()) __builtin_trap();
    } else if (a.op_code == "Tag Subject") {
      (void)tag_subject(message, a.parameter, parsed.value("Subject"));
    }
  }
  return 0;
}
