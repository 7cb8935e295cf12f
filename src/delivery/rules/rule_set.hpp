// The edits XIMSS makes to one Rule set (ruleSet, ruleUpdate, ruleRename, ruleRemove), on the
// set in memory, with the RulesAllowed checks the spec asks for: the user must be allowed the
// actions of the Rule being replaced, changed, renamed or removed, and of the new Rule.
// Coroutine-free; RuleStore runs these inside one store write.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/rules/rule.hpp"

namespace ximssd::delivery {

using RuleSet = std::vector<Rule>;

// The order Rules are applied and listed in: higher priority first, equal priorities by name.
void sort_rules(RuleSet& rules);

const Rule* find_rule(const RuleSet& rules, std::string_view name);

// Each throws Failure: notFound for a missing Rule, alreadyExists for a rename onto a taken name,
// permissionDenied when the right does not allow the old or the new Rule, limitExceeded past
// kMaxRulesPerSet. `rule` must already be validated. The set stays sorted.
void set_rule(RuleSet& rules, Rule rule, RulesRight right);
void update_rule(RuleSet& rules, std::string_view name, std::optional<int> priority, std::optional<std::string> stage,
                 RulesRight right);
void rename_rule(RuleSet& rules, std::string_view name, const std::string& new_name, RulesRight right);
void remove_rule(RuleSet& rules, std::string_view name, RulesRight right);

}  // namespace ximssd::delivery
