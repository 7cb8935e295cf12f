#include "delivery/rules/rule_set.hpp"

#include <algorithm>

#include "base/error.hpp"

namespace ximssd::delivery {

namespace {

Rule& existing(RuleSet& rules, std::string_view name) {
  for (auto& rule : rules)
    if (rule.name == name) return rule;
  throw Failure(ErrorCode::notFound, "no Rule named \"" + std::string(name) + "\"");
}

}  // namespace

void sort_rules(RuleSet& rules) {
  std::stable_sort(rules.begin(), rules.end(), [](const Rule& a, const Rule& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    return a.name < b.name;
  });
}

const Rule* find_rule(const RuleSet& rules, std::string_view name) {
  for (const auto& rule : rules)
    if (rule.name == name) return &rule;
  return nullptr;
}

void set_rule(RuleSet& rules, Rule rule, RulesRight right) {
  check_rule_allowed(rule, right);
  auto old = std::find_if(rules.begin(), rules.end(), [&](const Rule& r) { return r.name == rule.name; });
  if (old != rules.end()) {
    check_rule_allowed(*old, right);
    *old = std::move(rule);
  } else {
    if (rules.size() >= kMaxRulesPerSet)
      throw Failure(ErrorCode::limitExceeded, "a Rule set holds at most " + std::to_string(kMaxRulesPerSet) + " Rules");
    rules.push_back(std::move(rule));
  }
  sort_rules(rules);
}

void update_rule(RuleSet& rules, std::string_view name, std::optional<int> priority, std::optional<std::string> stage,
                 RulesRight right) {
  Rule& rule = existing(rules, name);
  check_rule_allowed(rule, right);
  if (priority) rule.priority = *priority;
  if (stage) rule.stage = std::move(*stage);
  sort_rules(rules);
}

void rename_rule(RuleSet& rules, std::string_view name, const std::string& new_name, RulesRight right) {
  Rule& rule = existing(rules, name);
  check_rule_allowed(rule, right);
  if (new_name == rule.name) return;
  if (find_rule(rules, new_name)) throw Failure(ErrorCode::alreadyExists, "a Rule named \"" + new_name + "\" already exists");
  rule.name = new_name;
  sort_rules(rules);
}

void remove_rule(RuleSet& rules, std::string_view name, RulesRight right) {
  Rule& rule = existing(rules, name);
  check_rule_allowed(rule, right);
  rules.erase(rules.begin() + (&rule - rules.data()));
}

}  // namespace ximssd::delivery
