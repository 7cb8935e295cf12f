#include "delivery/rules/rule_conditions.hpp"

#include "base/text.hpp"
#include "delivery/rules/rule_values.hpp"

namespace ximssd::delivery {

namespace {

namespace rv = rule_values;

// is / in hold when a value matches; is not / not in are their negations.
bool positive(std::string_view op) { return op == "is" || op == "in" || op.empty(); }

std::vector<std::string> patterns(const RuleCondition& c) {
  if (c.op == "in" || c.op == "not in") return rv::split_list(c.parameter);
  return {c.parameter};
}

bool any_matches(const std::vector<std::string>& pats, const std::vector<std::string>& values) {
  for (const auto& v : values)
    for (const auto& p : pats)
      if (rv::wildcard_match(p, v)) return true;
  return false;
}

// An address is tested as "user@domain" and, when it has a display name, as
// "Name <user@domain>", so that both "*@example.com" and "John*" pictures work.
std::vector<std::string> address_forms(const MessageAddress& a) {
  std::vector<std::string> forms{a.address};
  if (!a.name.empty()) forms.push_back(a.name + " <" + a.address + ">");
  return forms;
}

// A single field (From, To, ...): holds for is/in when one of its addresses matches; for
// is not/not in when none does (so also when the field is missing, as CommuniGate does).
bool field_holds(const RuleCondition& c, const std::vector<MessageAddress>& addresses) {
  auto pats = patterns(c);
  bool found = false;
  for (const auto& a : addresses) found = found || any_matches(pats, address_forms(a));
  return positive(c.op) == found;
}

// "Any ..." / "Each ...": the condition is tested on each address on its own; Any holds when it
// holds for one of them, Each when it holds for all of them (and there is at least one).
bool per_address_holds(const RuleCondition& c, const std::vector<MessageAddress>& addresses, bool each) {
  if (addresses.empty()) return false;
  auto pats = patterns(c);
  for (const auto& a : addresses) {
    bool holds = positive(c.op) == any_matches(pats, address_forms(a));
    if (each && !holds) return false;
    if (!each && holds) return true;
  }
  return each;
}

std::vector<MessageAddress> plain(const std::vector<std::string>& addresses) {
  std::vector<MessageAddress> out;
  for (const auto& a : addresses) out.push_back({a, {}});
  return out;
}

template <class T>
bool compare(std::string_view op, T value, T limit) {
  return op == "greater than" ? value > limit : value < limit;
}

}  // namespace

std::vector<std::string_view> source_names(Source source) {
  switch (source) {
    case Source::lmtp: return {"LMTP"};
    case Source::smtp: return {"SMTP"};
    case Source::authenticated: return {"authenticated", "trusted"};
    case Source::generated: return {"generated", "trusted"};
  }
  return {};
}

bool condition_holds(const RuleCondition& c, const ConditionInput& in) {
  const std::string& code = c.op_code;
  const RuleMessage& m = in.message;
  if (code == "From" || code == "Sender" || code == "Reply-To" || code == "To" || code == "Cc")
    return field_holds(c, m.addresses(code));
  if (code == "Return-Path")
    return field_holds(c, in.return_path.empty() ? std::vector<MessageAddress>{}
                                                 : std::vector<MessageAddress>{{std::string(in.return_path), {}}});
  if (code == "Any To or Cc" || code == "Each To or Cc") {
    auto all = m.addresses("To");
    auto cc = m.addresses("Cc");
    all.insert(all.end(), cc.begin(), cc.end());
    return per_address_holds(c, all, code == "Each To or Cc");
  }
  if (code == "Any Recipient" || code == "Each Recipient")
    return per_address_holds(c, plain(in.recipients), code == "Each Recipient");
  if (code == "Subject" || code == "Message-ID")
    return positive(c.op) == any_matches(patterns(c), {m.value(code)});
  if (code == "Header Field") {
    auto header = rv::parse_header_parameter(c.parameter);
    if (!header) return false;
    auto pats = (c.op == "in" || c.op == "not in") ? rv::split_list(header->pattern) : std::vector{header->pattern};
    return positive(c.op) == any_matches(pats, m.values(header->name));
  }
  if (code == "Source") {
    std::vector<std::string> names;
    for (auto n : source_names(in.source)) names.emplace_back(n);
    return positive(c.op) == any_matches(patterns(c), names);
  }
  if (code == "Message Size") {
    auto limit = rv::parse_size(c.parameter);
    return limit && compare<uint64_t>(c.op, m.size(), *limit);
  }
  if (code == "Human Generated") return (c.op == "is not") == m.automatic_or_bulk();
  if (code == "Current Date") {
    auto limit = rv::parse_date(c.parameter);
    return limit && compare(c.op, in.date, *limit);
  }
  if (code == "Current Time") {
    auto limit = rv::parse_time_of_day(c.parameter);
    return limit && compare(c.op, in.time_of_day, *limit);
  }
  if (code == "Current Day") {
    std::string name(rv::weekday_name(in.weekday));
    return positive(c.op) == any_matches(patterns(c), {name, name.substr(0, 3)});
  }
  return false;
}

}  // namespace ximssd::delivery
