// Whether a Rule condition holds for one delivered message (PROTOCOL.md "Rules" says what each
// condition tests). Coroutine-free (the fuzz target links it).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "delivery/envelope.hpp"
#include "delivery/rules/rule.hpp"
#include "delivery/rules/rule_message.hpp"

namespace ximssd::delivery {

struct ConditionInput {
  const RuleMessage& message;
  std::string_view return_path;           // the envelope sender; "" for the null sender
  const std::vector<std::string>& recipients;  // the envelope recipients
  Source source;
  // The current time in the account's time zone.
  int date = 0;         // YYYYMMDD
  int time_of_day = 0;  // seconds since midnight
  int weekday = 0;      // 0 = Sunday
};

// The names a message's source "is" for the Source condition.
std::vector<std::string_view> source_names(Source source);

// `condition` must be validated (validate_rule). A condition this evaluator does not know
// holds never.
bool condition_holds(const RuleCondition& condition, const ConditionInput& input);

}  // namespace ximssd::delivery
