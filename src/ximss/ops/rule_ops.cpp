// The account's automated Rules (E-im-roster-files-more.md section 6): ruleList, ruleRead,
// ruleSet, ruleUpdate, ruleRename, ruleRemove. The model, its checks and the storage live in
// delivery/rules; this file reads the requests and writes the `rule` data messages.
#include <boost/asio/use_awaitable.hpp>

#include "delivery/rules/rule_store.hpp"
#include "delivery/rules/rule_xml.hpp"
#include "ximss/dispatch.hpp"

namespace ximssd::ximss {

namespace {

using boost::asio::awaitable;
using delivery::Rule;
using delivery::RuleSetType;

RuleSetType rule_set_type(const Request& r) {
  std::string_view type = r.required("type");
  auto parsed = delivery::parse_rule_set_type(type);
  if (!parsed)
    throw Failure(ErrorCode::badRequest, "unknown Rule set type \"" + std::string(type) + "\" (mailIn or signal)");
  return *parsed;
}

delivery::RuleStore rule_store(Request& r) { return delivery::RuleStore(r.ctx.accounts.database()); }

int64_t account_id(const Request& r) { return r.session().account().id; }

// The `rule` data message: attributes only (ruleList) or with its body (ruleRead).
void write_rule(Request& r, RuleSetType type, const Rule& rule, bool with_body) {
  auto message = r.data("rule");
  message->attr("type", delivery::rule_set_type_name(type)).attr("name", rule.name).attr("priority", rule.priority);
  message->attr_if("stage", rule.stage);
  if (with_body) delivery::write_rule_body(message.writer(), rule);
}

std::optional<std::string> stage_attr(const Request& r, RuleSetType type) {
  if (!r.has_attr("stage")) return std::nullopt;
  std::string stage(r.attr("stage"));
  if (type != RuleSetType::signal && !stage.empty())
    throw Failure(ErrorCode::badRequest, "only signal Rules have a stage");
  return stage;
}

awaitable<void> rule_list(Request& r) {
  RuleSetType type = rule_set_type(r);
  for (const auto& rule : rule_store(r).read(account_id(r), type)) write_rule(r, type, rule, false);
  co_return;
}

awaitable<void> rule_read(Request& r) {
  RuleSetType type = rule_set_type(r);
  std::string_view name = r.required("name");
  auto rules = rule_store(r).read(account_id(r), type);
  const Rule* rule = delivery::find_rule(rules, name);
  if (!rule) throw Failure(ErrorCode::notFound, "no Rule named \"" + std::string(name) + "\"");
  write_rule(r, type, *rule, true);
  co_return;
}

awaitable<void> rule_set(Request& r) {
  RuleSetType type = rule_set_type(r);
  Rule rule;
  rule.name = std::string(r.required("name"));
  rule.priority = delivery::parse_rule_priority(r.required("priority"));
  rule.stage = stage_attr(r, type).value_or("");
  delivery::read_rule_body(r.element, rule);
  delivery::validate_rule(type, rule);
  auto store = rule_store(r);
  co_await store.set(account_id(r), type, std::move(rule));
}

awaitable<void> rule_update(Request& r) {
  RuleSetType type = rule_set_type(r);
  std::string name(r.required("name"));
  std::optional<int> priority;
  if (r.has_attr("priority")) priority = delivery::parse_rule_priority(r.attr("priority"));
  auto stage = stage_attr(r, type);
  if (!priority && !stage) throw Failure(ErrorCode::badRequest, "ruleUpdate needs a priority or a stage");
  auto store = rule_store(r);
  co_await store.update(account_id(r), type, std::move(name), priority, std::move(stage));
}

awaitable<void> rule_rename(Request& r) {
  RuleSetType type = rule_set_type(r);
  std::string name(r.required("name"));
  std::string new_name(r.required("newName"));
  delivery::validate_rule_name(new_name);
  auto store = rule_store(r);
  co_await store.rename(account_id(r), type, std::move(name), std::move(new_name));
}

awaitable<void> rule_remove(Request& r) {
  RuleSetType type = rule_set_type(r);
  std::string name(r.required("name"));
  auto store = rule_store(r);
  co_await store.remove(account_id(r), type, std::move(name));
}

const Operation kOperations[] = {
    {"ruleList", rule_list, Access::in_session},
    {"ruleRead", rule_read, Access::in_session},
    {"ruleSet", rule_set, Access::in_session},
    {"ruleUpdate", rule_update, Access::in_session},
    {"ruleRename", rule_rename, Access::in_session},
    {"ruleRemove", rule_remove, Access::in_session},
};

}  // namespace

std::span<const Operation> rule_operations() { return kOperations; }

}  // namespace ximssd::ximss
