// The evaluator of an account's mailIn Rules at local delivery (RuleEvaluator): active Rules in
// priority order (higher first, equal priorities by name; priority 0 never runs), a Rule's
// actions run when all its conditions hold, "Stop Processing" and "Reject with" end the
// evaluation. It decides; local delivery applies the outcome.
#pragma once

#include <functional>

#include "delivery/delivery_settings.hpp"
#include "delivery/rules/rule_evaluator.hpp"
#include "delivery/rules/rule_store.hpp"

namespace ximssd::delivery {

class RuleEngine : public RuleEvaluator {
 public:
  // Seconds since the epoch; tests pass a fake clock.
  using Clock = std::function<int64_t()>;

  RuleEngine(store::Store& db, RulesSettings settings, Clock clock = {});

  RuleOutcome evaluate(const RuleInput& input) override;

 private:
  store::Store& db_;
  RuleStore rules_;
  RulesSettings settings_;
  Clock clock_;
};

}  // namespace ximssd::delivery
