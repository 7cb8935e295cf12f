#include "delivery/rules/rule_engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "base/text.hpp"
#include "base/time_format.hpp"
#include "delivery/rules/rule_conditions.hpp"
#include "delivery/rules/rule_message_edit.hpp"
#include "delivery/rules/rule_values.hpp"

namespace ximssd::delivery {

namespace {

namespace rv = rule_values;

constexpr std::string_view kDefaultRejection = "delivery refused by the recipient's Rules";

void add_unique(std::vector<std::string>& list, const std::string& item) {
  for (const auto& existing : list)
    if (iequals(existing, item)) return;
  list.push_back(item);
}

// The account's local date, time of day and weekday, from its TimeZone setting.
void set_clock(ConditionInput& in, int64_t now, std::string_view zone) {
  std::string local = format_local_time(SysSeconds{std::chrono::seconds{now}}, zone);  // YYYYMMDDTHHMMSS
  in.date = rv::parse_date(local).value_or(0);
  in.time_of_day = rv::parse_time_of_day(local.substr(9, 2) + ":" + local.substr(11, 2) + ":" + local.substr(13, 2))
                       .value_or(0);
  using namespace std::chrono;
  year_month_day ymd{year{in.date / 10000}, month{static_cast<unsigned>(in.date / 100 % 100)},
                     day{static_cast<unsigned>(in.date % 100)}};
  in.weekday = static_cast<int>(weekday{sys_days{ymd}}.c_encoding());
}

// A reply the Rules asked for, sent only if evaluation ends without a rejection.
struct PendingReply {
  std::string sender;  // whom the once-per-period record is kept for
  std::vector<std::string> to;
  std::string text;
};

// "Reply with" / "Reply to All with" (RFC 3834): never to the null sender, never to automatic
// or bulk mail, never to the recipient itself. The reply goes to Reply-To, else From, else the
// envelope sender; "to All" adds the To and Cc addresses.
std::optional<PendingReply> plan_reply(const RuleInput& input, const RuleMessage& message, const RuleAction& action) {
  if (input.envelope.mail_from.empty() || message.automatic_or_bulk()) return std::nullopt;
  std::string own = input.account.address();
  auto ourselves = [&](const std::string& a) { return iequals(a, input.recipient) || iequals(a, own); };
  std::vector<std::string> senders;
  for (const char* field : {"Reply-To", "From"}) {
    for (const auto& a : message.addresses(field)) add_unique(senders, a.address);
    if (!senders.empty()) break;
  }
  if (senders.empty()) senders.push_back(input.envelope.mail_from);
  if (ourselves(senders.front()) || ourselves(input.envelope.mail_from)) return std::nullopt;
  PendingReply reply{senders.front(), {}, action.parameter};
  for (const auto& a : senders)
    if (!ourselves(a)) add_unique(reply.to, a);
  if (action.op_code == "Reply to All with")
    for (const char* field : {"To", "Cc"})
      for (const auto& a : message.addresses(field))
        if (!ourselves(a.address)) add_unique(reply.to, a.address);
  return reply;
}

}  // namespace

RuleEngine::RuleEngine(store::Store& db, RulesSettings settings, Clock clock)
    : db_(db), rules_(db), settings_(settings), clock_(clock ? std::move(clock) : Clock(now_epoch_seconds)) {}

RuleOutcome RuleEngine::evaluate(const RuleInput& input) {
  RuleOutcome outcome;
  std::vector<std::string> problems;
  RuleSet rules = rules_.read(input.account.id, RuleSetType::mail_in, &problems);
  for (const auto& p : problems) spdlog::warn("rules: {}: Rule skipped: {}", input.account.address(), p);
  std::erase_if(rules, [](const Rule& r) { return r.priority == kInactivePriority; });
  if (rules.empty()) return outcome;

  RuleMessage message(input.message);
  std::vector<std::string> recipients;
  for (const auto& r : input.envelope.recipients) recipients.push_back(r.address);
  ConditionInput facts{message, input.envelope.mail_from, recipients, input.source};
  int64_t now = clock_();
  set_clock(facts, now, db_.reader().account_setting(input.account.id, "TimeZone").value_or(""));

  std::optional<std::string> edited;  // the message after Add Header / Tag Subject, once one ran
  std::optional<PendingReply> reply;
  bool stop = false;
  for (const auto& rule : rules) {
    bool holds = std::all_of(rule.conditions.begin(), rule.conditions.end(),
                             [&](const RuleCondition& c) { return condition_holds(c, facts); });
    if (!holds) continue;
    outcome.matched.push_back(rule.name);
    for (const auto& action : rule.actions) {
      const std::string& op = action.op_code;
      std::string_view current = edited ? std::string_view(*edited) : input.message;
      if (op == "Store in") {
        add_unique(outcome.store_in, action.parameter);
      } else if (op == "Mark") {
        for (const auto& flag : rv::split_list(action.parameter)) add_unique(outcome.flags, flag);
      } else if (op == "Add Header") {
        edited = add_header_line(current, action.parameter);
      } else if (op == "Tag Subject") {
        edited = tag_subject(current, action.parameter, RuleMessage(current).value("Subject"));
      } else if (op == "Discard") {
        outcome.discard = true;
      } else if (op == "Reject with") {
        std::string text = trim_whitespace(action.parameter);
        outcome.reject = text.empty() ? std::string(kDefaultRejection) : text;
        stop = true;
      } else if (op == "Stop Processing") {
        stop = true;
      } else if (op == "Mirror to" || op == "Redirect to" || op == "Forward to") {
        // A copy the server made (another Rule's redirect, a notification) is never sent on:
        // that ends loops between accounts that redirect to each other.
        if (input.source == Source::generated) {
          spdlog::info("rules: {}: \"{}\" of Rule \"{}\" skipped for a message this server generated",
                       input.account.address(), op, rule.name);
          continue;
        }
        auto& list = op == "Mirror to" ? outcome.mirror_to : op == "Redirect to" ? outcome.redirect_to : outcome.forward_to;
        for (const auto& address : rv::split_list(action.parameter))
          if (!iequals(address, input.recipient)) add_unique(list, address);  // never back to ourselves
      } else if (op == "Reply with" || op == "Reply to All with") {
        if (!reply) reply = plan_reply(input, message, action);
      }
      if (stop) break;
    }
    if (stop) break;
  }
  if (outcome.reject) {
    // Nothing is stored and nothing is sent: only the rejection (and, for the log, the Rules).
    RuleOutcome rejected;
    rejected.reject = std::move(outcome.reject);
    rejected.matched = std::move(outcome.matched);
    return rejected;
  }
  outcome.message = std::move(edited);
  if (reply && !reply->to.empty() &&
      rules_.claim_auto_reply(input.account.id, reply->sender, now, settings_.vacation_period.count()))
    outcome.reply = RuleOutcome::Reply{std::move(reply->to), std::move(reply->text)};
  return outcome;
}

}  // namespace ximssd::delivery
