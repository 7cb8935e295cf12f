#include "delivery/rules/rule_store.hpp"

#include <spdlog/spdlog.h>

#include <functional>
#include <future>

#include "delivery/rules/auto_reply_record.hpp"
#include "delivery/rules/rule_xml.hpp"

namespace ximssd::delivery {

namespace {

using Edit = std::function<void(RuleSet&, RulesRight)>;

void log_problems(int64_t account_id, const std::vector<std::string>& problems) {
  for (const auto& p : problems) spdlog::warn("rules: account {}: stored Rule skipped: {}", account_id, p);
}

boost::asio::awaitable<void> edit_set(store::Store& db, int64_t account_id, RuleSetType type, const Edit& edit) {
  std::string key = RuleStore::setting_key(type);
  co_await db.write<bool>([&](store::Repository& repo) {
    RulesRight right = parse_rules_right(repo.account_setting(account_id, kRulesRightSetting));
    std::vector<std::string> problems;
    RuleSet rules = parse_rule_set(type, repo.account_setting(account_id, key).value_or(""), &problems);
    log_problems(account_id, problems);
    sort_rules(rules);
    edit(rules, right);
    repo.set_account_setting(account_id, key, serialize_rule_set(rules));
    return true;
  });
}

}  // namespace

std::string RuleStore::setting_key(RuleSetType type) { return "Rules." + std::string(rule_set_type_name(type)); }

RuleSet RuleStore::read(int64_t account_id, RuleSetType type, std::vector<std::string>* problems) {
  auto stored = db_.reader().account_setting(account_id, setting_key(type));
  RuleSet rules = parse_rule_set(type, stored.value_or(""), problems);
  sort_rules(rules);
  return rules;
}

RulesRight RuleStore::right(int64_t account_id) {
  return parse_rules_right(db_.reader().account_setting(account_id, kRulesRightSetting));
}

boost::asio::awaitable<void> RuleStore::set(int64_t account_id, RuleSetType type, Rule rule) {
  Edit edit = [&](RuleSet& rules, RulesRight right) { set_rule(rules, rule, right); };
  co_await edit_set(db_, account_id, type, edit);
}

boost::asio::awaitable<void> RuleStore::update(int64_t account_id, RuleSetType type, std::string name,
                                               std::optional<int> priority, std::optional<std::string> stage) {
  Edit edit = [&](RuleSet& rules, RulesRight right) { update_rule(rules, name, priority, stage, right); };
  co_await edit_set(db_, account_id, type, edit);
}

boost::asio::awaitable<void> RuleStore::rename(int64_t account_id, RuleSetType type, std::string name,
                                               std::string new_name) {
  Edit edit = [&](RuleSet& rules, RulesRight right) { rename_rule(rules, name, new_name, right); };
  co_await edit_set(db_, account_id, type, edit);
}

boost::asio::awaitable<void> RuleStore::remove(int64_t account_id, RuleSetType type, std::string name) {
  Edit edit = [&](RuleSet& rules, RulesRight right) { remove_rule(rules, name, right); };
  co_await edit_set(db_, account_id, type, edit);
}

bool RuleStore::claim_auto_reply(int64_t account_id, const std::string& sender, int64_t now, int64_t period) {
  bool claimed = false;
  auto work = [&](store::Repository& repo) {
    std::string key(kAutoReplySetting);
    auto record = AutoReplyRecord::parse(repo.account_setting(account_id, key).value_or(""));
    claimed = record.claim(sender, now, period);
    repo.set_account_setting(account_id, key, record.serialize());
  };
  auto& backend = db_.backend();
  if (!backend.has_writer()) {
    backend.run_now(work, {});
    return claimed;
  }
  std::promise<void> done;
  backend.submit(work,
                 [&](std::exception_ptr error) {
                   if (error) done.set_exception(error);
                   else done.set_value();
                 },
                 {});
  done.get_future().get();
  return claimed;
}

}  // namespace ximssd::delivery
