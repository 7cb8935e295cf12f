#include "delivery/rules/rule.hpp"

#include <array>

#include "base/error.hpp"
#include "base/text.hpp"
#include "delivery/rules/rule_values.hpp"
#include "mail/mailbox_name.hpp"

namespace ximssd::delivery {

namespace {

namespace rv = rule_values;

Failure bad(const std::string& text) { return Failure(ErrorCode::badRequest, text); }

// ---- the mailIn vocabulary

enum class Operators {
  match,      // is, is not, in, not in
  compare,    // greater than, less than
  optional,   // none, or is / is not ("Human Generated")
};

enum class ConditionValue { pattern, size, date, time, header, weekday, none };

struct ConditionSpec {
  std::string_view op_code;
  Operators ops;
  ConditionValue value;
};

constexpr std::array<ConditionSpec, 19> kConditions = {{
    {"From", Operators::match, ConditionValue::pattern},
    {"Sender", Operators::match, ConditionValue::pattern},
    {"Return-Path", Operators::match, ConditionValue::pattern},
    {"To", Operators::match, ConditionValue::pattern},
    {"Cc", Operators::match, ConditionValue::pattern},
    {"Any To or Cc", Operators::match, ConditionValue::pattern},
    {"Each To or Cc", Operators::match, ConditionValue::pattern},
    {"Reply-To", Operators::match, ConditionValue::pattern},
    {"Subject", Operators::match, ConditionValue::pattern},
    {"Message-ID", Operators::match, ConditionValue::pattern},
    {"Message Size", Operators::compare, ConditionValue::size},
    {"Header Field", Operators::match, ConditionValue::header},
    {"Any Recipient", Operators::match, ConditionValue::pattern},
    {"Each Recipient", Operators::match, ConditionValue::pattern},
    {"Source", Operators::match, ConditionValue::pattern},
    {"Human Generated", Operators::optional, ConditionValue::none},
    {"Current Date", Operators::compare, ConditionValue::date},
    {"Current Day", Operators::match, ConditionValue::weekday},
    {"Current Time", Operators::compare, ConditionValue::time},
}};

constexpr std::array<std::string_view, 6> kOperators = {"is", "is not", "in", "not in", "greater than", "less than"};

enum class ActionValue { none, optional_text, text, mailbox, marks, header_line, addresses };
// What an action may do, for the RulesAllowed right.
enum class ActionKind { filter, sends_copies, replies };

struct ActionSpec {
  std::string_view op_code;
  ActionValue value;
  ActionKind kind;
};

constexpr std::array<ActionSpec, 13> kActions = {{
    {"Store in", ActionValue::mailbox, ActionKind::filter},
    {"Mark", ActionValue::marks, ActionKind::filter},
    {"Add Header", ActionValue::header_line, ActionKind::filter},
    {"Tag Subject", ActionValue::text, ActionKind::filter},
    {"Discard", ActionValue::none, ActionKind::filter},
    {"Reject with", ActionValue::optional_text, ActionKind::filter},
    {"Stop Processing", ActionValue::none, ActionKind::filter},
    {"Mirror to", ActionValue::addresses, ActionKind::sends_copies},
    {"Redirect to", ActionValue::addresses, ActionKind::sends_copies},
    {"Forward to", ActionValue::addresses, ActionKind::sends_copies},
    {"Reply with", ActionValue::text, ActionKind::replies},
    {"Reply to All with", ActionValue::text, ActionKind::replies},
    // Signal Rules' own way of sending a call elsewhere; listed so that RulesAllowed covers it.
    {"Fork to", ActionValue::addresses, ActionKind::sends_copies},
}};

const ConditionSpec* find_condition(std::string_view op_code) {
  for (const auto& spec : kConditions)
    if (iequals(spec.op_code, op_code)) return &spec;
  return nullptr;
}

const ActionSpec* find_action(std::string_view op_code) {
  for (const auto& spec : kActions)
    if (iequals(spec.op_code, op_code)) return &spec;
  return nullptr;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

void check_text(std::string_view what, std::string_view text, size_t limit) {
  if (text.size() > limit) throw bad(std::string(what) + " is too long (more than " + std::to_string(limit) + " bytes)");
  if (!is_valid_utf8(text)) throw bad(std::string(what) + " is not valid UTF-8");
  // XML 1.0 cannot carry other control characters, and a carriage return would come back from the
  // stored Rule as a line feed: a Rule must read back exactly as it was set.
  for (unsigned char c : text)
    if ((c < 32 && c != '\t' && c != '\n') || c == 127) throw bad(std::string(what) + " has a control character");
}

void validate_condition(RuleCondition& c) {
  const ConditionSpec* spec = find_condition(c.op_code);
  if (!spec) throw bad("unknown Rule condition " + quoted(c.op_code));
  c.op_code = std::string(spec->op_code);
  std::string op = ascii_lower(trim_whitespace(c.op));
  if (spec->ops == Operators::optional) {
    if (!op.empty() && op != "is" && op != "is not")
      throw bad("condition " + quoted(c.op_code) + " takes no operator other than \"is\" or \"is not\"");
    c.op = op;
    c.parameter.clear();  // it takes no parameter
    return;
  }
  bool known = false;
  for (auto name : kOperators) known = known || op == name;
  if (!known) throw bad("unknown Rule operator " + quoted(c.op) + " in condition " + quoted(c.op_code));
  bool compare = op == "greater than" || op == "less than";
  if (compare != (spec->ops == Operators::compare))
    throw bad("condition " + quoted(c.op_code) + " does not take the operator " + quoted(op) +
              (spec->ops == Operators::compare ? " (use \"greater than\" or \"less than\")"
                                               : " (use \"is\", \"is not\", \"in\" or \"not in\")"));
  c.op = op;
  check_text("the parameter of condition " + quoted(c.op_code), c.parameter, kMaxRuleParameter);
  if (trim_whitespace(c.parameter).empty()) throw bad("condition " + quoted(c.op_code) + " needs a parameter");
  bool list = op == "in" || op == "not in";
  switch (spec->value) {
    case ConditionValue::pattern:
    case ConditionValue::none:
      break;
    case ConditionValue::size:
      if (!rv::parse_size(c.parameter))
        throw bad("condition \"Message Size\" needs a size such as 1000, 10K or 2M, not " + quoted(c.parameter));
      break;
    case ConditionValue::date:
      if (!rv::parse_date(c.parameter))
        throw bad("condition \"Current Date\" needs a date such as 2024-12-31, not " + quoted(c.parameter));
      break;
    case ConditionValue::time:
      if (!rv::parse_time_of_day(c.parameter))
        throw bad("condition \"Current Time\" needs a time of day such as 17:30, not " + quoted(c.parameter));
      break;
    case ConditionValue::header:
      if (!rv::parse_header_parameter(c.parameter))
        throw bad("condition \"Header Field\" needs \"Field-Name: value pattern\", not " + quoted(c.parameter));
      break;
    case ConditionValue::weekday: {
      auto days = list ? rv::split_list(c.parameter) : std::vector<std::string>{trim_whitespace(c.parameter)};
      for (const auto& day : days)
        if (day.find('*') == std::string::npos && !rv::parse_weekday(day))
          throw bad("condition \"Current Day\" needs day names such as Mon or Saturday, not " + quoted(day));
      break;
    }
  }
}

void validate_action(RuleAction& a) {
  const ActionSpec* spec = find_action(a.op_code);
  if (!spec || spec->op_code == "Fork to") throw bad("unknown Rule action " + quoted(a.op_code));
  a.op_code = std::string(spec->op_code);
  check_text("the parameter of action " + quoted(a.op_code), a.parameter, kMaxRuleParameter);
  std::string value = trim_whitespace(a.parameter);
  switch (spec->value) {
    case ActionValue::none:
      a.parameter.clear();  // Discard and Stop Processing take none
      return;
    case ActionValue::optional_text:
      return;
    case ActionValue::text:
      if (value.empty()) throw bad("action " + quoted(a.op_code) + " needs a parameter");
      if (a.op_code == "Tag Subject" && value.find_first_of("\r\n") != std::string::npos)
        throw bad("action \"Tag Subject\" takes one line of text");
      return;
    case ActionValue::mailbox:
      if (value.empty()) throw bad("action \"Store in\" needs a mailbox name");
      if (value.front() == '~') throw bad("action \"Store in\" stores in the account's own mailboxes, not " + quoted(value));
      a.parameter = mail::canonical_mailbox_name(value);  // throws badRequest saying what is wrong
      return;
    case ActionValue::marks: {
      auto names = rv::split_list(value);
      if (names.empty()) throw bad("action \"Mark\" needs flag names such as Seen or Flagged");
      std::string canonical;
      for (const auto& name : names) {
        auto mark = rv::canonical_mark(name);
        if (!mark) throw bad("action \"Mark\": unknown flag " + quoted(name));
        if (!canonical.empty()) canonical += ',';
        canonical += *mark;
      }
      a.parameter = canonical;
      return;
    }
    case ActionValue::header_line: {
      if (value.find_first_of("\r\n") != std::string::npos) throw bad("action \"Add Header\" takes one header line");
      auto header = rv::parse_header_parameter(value);
      if (!header) throw bad("action \"Add Header\" needs \"Field-Name: value\", not " + quoted(value));
      a.parameter = header->name + ": " + header->pattern;
      return;
    }
    case ActionValue::addresses: {
      auto addresses = rv::parse_address_list(value);
      if (!addresses) throw bad("action " + quoted(a.op_code) + " needs addresses such as user@example.com, not " + quoted(value));
      std::string joined;
      for (const auto& address : *addresses) joined += (joined.empty() ? "" : ",") + address;
      a.parameter = joined;
      return;
    }
  }
}

// Signal Rules are kept for the client; their vocabulary is CommuniGate's Signal one, which this
// server does not execute, so only the form is checked.
void validate_form(std::string_view what, std::string& op_code, std::string_view parameter) {
  op_code = trim_whitespace(op_code);
  if (op_code.empty()) throw bad(std::string(what) + " without an opCode");
  check_text(std::string(what) + " opCode", op_code, 100);
  check_text(std::string(what) + " parameter", parameter, kMaxRuleParameter);
}

}  // namespace

std::optional<RuleSetType> parse_rule_set_type(std::string_view text) {
  if (text == "mailIn") return RuleSetType::mail_in;
  if (text == "signal") return RuleSetType::signal;
  return std::nullopt;
}

std::string_view rule_set_type_name(RuleSetType type) { return type == RuleSetType::mail_in ? "mailIn" : "signal"; }

int parse_rule_priority(std::string_view text) {
  auto value = parse_decimal(trim_whitespace(text));
  if (!value || *value > kMaxPriority)
    throw bad("a Rule priority is a number from 0 (inactive) to 10, not " + quoted(text));
  return static_cast<int>(*value);
}

void validate_rule_name(std::string_view name) {
  if (name.empty()) throw bad("a Rule needs a name");
  if (name.size() > kMaxRuleNameLength) throw bad("the Rule name is too long");
  if (!is_valid_utf8(name)) throw bad("the Rule name is not valid UTF-8");
  for (unsigned char c : name)
    if (c < 32 || c == 127) throw bad("the Rule name has a control character");
}

void validate_rule(RuleSetType type, Rule& rule) {
  validate_rule_name(rule.name);
  if (rule.priority < kInactivePriority || rule.priority > kMaxPriority)
    throw bad("a Rule priority is a number from 0 (inactive) to 10");
  if (rule.conditions.size() > kMaxRuleItems) throw bad("a Rule has at most " + std::to_string(kMaxRuleItems) + " conditions");
  if (rule.actions.size() > kMaxRuleItems) throw bad("a Rule has at most " + std::to_string(kMaxRuleItems) + " actions");
  if (rule.comment) check_text("the Rule comment", *rule.comment, kMaxRuleParameter);
  check_text("the Rule stage", rule.stage, 100);
  if (type == RuleSetType::signal) {
    for (auto& c : rule.conditions) validate_form("a condition", c.op_code, c.parameter);
    for (auto& a : rule.actions) validate_form("an action", a.op_code, a.parameter);
    return;
  }
  if (!rule.stage.empty()) throw bad("only signal Rules have a stage");
  for (auto& c : rule.conditions) validate_condition(c);
  for (auto& a : rule.actions) validate_action(a);
}

RulesRight parse_rules_right(const std::optional<std::string>& setting) {
  if (!setting) return RulesRight::any;
  std::string value = trim_whitespace(*setting);
  if (value.empty() || iequals(value, "Any")) return RulesRight::any;
  if (iequals(value, "No Redirect")) return RulesRight::no_redirect;
  if (iequals(value, "Filter Only")) return RulesRight::filter_only;
  return RulesRight::none;
}

std::string_view rules_right_name(RulesRight right) {
  switch (right) {
    case RulesRight::any: return "Any";
    case RulesRight::no_redirect: return "No Redirect";
    case RulesRight::filter_only: return "Filter Only";
    case RulesRight::none: return "None";
  }
  return "None";
}

void check_rule_allowed(const Rule& rule, RulesRight right) {
  if (right == RulesRight::none) throw Failure(ErrorCode::permissionDenied, "this account may not set Rules");
  if (right == RulesRight::any) return;
  for (const auto& action : rule.actions) {
    const ActionSpec* spec = find_action(action.op_code);
    // An action outside the mail vocabulary (a signal Rule's) counts as sending elsewhere when
    // its name says so, else as filtering.
    ActionKind kind = spec ? spec->kind : ActionKind::filter;
    if (!spec && (iequals(action.op_code, "Redirect all to") || iequals(action.op_code, "Fork all to")))
      kind = ActionKind::sends_copies;
    bool allowed = right == RulesRight::no_redirect ? kind != ActionKind::sends_copies
                                                    : (kind == ActionKind::filter && spec != nullptr);
    if (!allowed)
      throw Failure(ErrorCode::permissionDenied, "Rule \"" + rule.name + "\": this account may not use the action \"" +
                                                      action.op_code + "\" (Rules allowed: " +
                                                      std::string(rules_right_name(right)) + ")");
  }
}

}  // namespace ximssd::delivery
