// An account's automated Rules (E-im-roster-files-more.md section 6, CommuniGate Pro's Rule
// vocabulary): the model, its validation and the user's right to set Rules. Coroutine-free: the
// fuzz target links it.
//
// A Rule set is addressed by type: "mailIn" Rules run at local delivery; "signal" Rules are
// stored and listed but not executed yet (there is no signal delivery).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::delivery {

enum class RuleSetType { mail_in, signal };

// "mailIn" / "signal" (exact spelling, as the requests carry it); nothing for another type.
std::optional<RuleSetType> parse_rule_set_type(std::string_view text);
std::string_view rule_set_type_name(RuleSetType type);

struct RuleCondition {
  std::string op_code;    // what is tested: "From", "Header Field", "Message Size", ...
  std::string op;         // how: "is", "is not", "in", "not in", "greater than", "less than"
  std::string parameter;  // the pattern, list, size, date ...
  bool operator==(const RuleCondition&) const = default;
};

struct RuleAction {
  std::string op_code;    // "Store in", "Mark", "Discard", "Redirect to", ...
  std::string parameter;  // mailbox, flags, address list, text; empty for Discard, Stop Processing
  bool operator==(const RuleAction&) const = default;
};

// Priorities run 0..10, higher first; 0 is CommuniGate's "Inactive": stored, never applied.
inline constexpr int kInactivePriority = 0;
inline constexpr int kMaxPriority = 10;

struct Rule {
  std::string name;
  int priority = 1;
  std::string stage;  // "signal" Rules only: when the Rule applies
  std::vector<RuleCondition> conditions;
  std::vector<RuleAction> actions;
  std::optional<std::string> comment;
  bool operator==(const Rule&) const = default;
};

// Limits that keep one account's Rules small (they are read at every delivery).
inline constexpr size_t kMaxRulesPerSet = 200;
inline constexpr size_t kMaxRuleNameLength = 200;
inline constexpr size_t kMaxRuleItems = 50;           // conditions, and separately actions
inline constexpr size_t kMaxRuleParameter = 16 * 1024; // one parameter (a reply text) or the comment

// A Rule name: 1..200 bytes of UTF-8 without control characters; throws Failure(badRequest).
void validate_rule_name(std::string_view name);

// "0".."10"; throws Failure(badRequest) for anything else.
int parse_rule_priority(std::string_view text);

// Checks the Rule and brings its opCodes and operators to their canonical spelling (they are
// accepted in any letter case). Throws Failure(badRequest) naming the first problem: an empty or
// too long name, an unknown opCode or operator, an operator the opCode does not take, a missing
// or malformed parameter (a size, a date, a header line, a flag name...), a stage on a mailIn
// Rule. "signal" Rules are checked for their form only: their vocabulary is not executed here.
void validate_rule(RuleSetType type, Rule& rule);

// The account setting "RulesAllowed": which actions the user may put in Rules.
enum class RulesRight {
  any,          // "Any" (the default)
  no_redirect,  // "No Redirect": no Mirror to / Redirect to / Forward to (nor a signal's Fork to)
  filter_only,  // "Filter Only": only Store in, Mark, Add Header, Tag Subject, Discard, Reject with, Stop Processing
  none,         // "None": no Rules may be set, changed or removed
};
inline constexpr std::string_view kRulesRightSetting = "RulesAllowed";

// Unset means "Any"; a value that is none of the four names means "None" (fail closed).
RulesRight parse_rules_right(const std::optional<std::string>& setting);
std::string_view rules_right_name(RulesRight right);

// Throws Failure(permissionDenied) naming the first action of the Rule the right does not
// allow (or any Rule at all under "None").
void check_rule_allowed(const Rule& rule, RulesRight right);

}  // namespace ximssd::delivery
