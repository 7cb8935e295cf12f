// Where an account's Rules live: one account setting per Rule set type ("Rules.mailIn",
// "Rules.signal") holding the set's XML (rule_xml.hpp), so the store needs no table of its own.
// Every edit reads, changes and writes the set inside one store write, so two sessions editing
// at once never lose each other's change, and it is durable when the awaiting coroutine resumes.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "delivery/rules/rule_set.hpp"
#include "store/store.hpp"

namespace ximssd::delivery {

class RuleStore {
 public:
  explicit RuleStore(store::Store& db) : db_(db) {}

  static std::string setting_key(RuleSetType type);

  // --- reads (short, on the calling thread). Rules that no longer read are left out and
  // described in `problems`.
  RuleSet read(int64_t account_id, RuleSetType type, std::vector<std::string>* problems = nullptr);
  RulesRight right(int64_t account_id);

  // --- edits (rule_set.hpp says what each checks and throws); `rule` must be validated.
  boost::asio::awaitable<void> set(int64_t account_id, RuleSetType type, Rule rule);
  boost::asio::awaitable<void> update(int64_t account_id, RuleSetType type, std::string name,
                                      std::optional<int> priority, std::optional<std::string> stage);
  boost::asio::awaitable<void> rename(int64_t account_id, RuleSetType type, std::string name, std::string new_name);
  boost::asio::awaitable<void> remove(int64_t account_id, RuleSetType type, std::string name);

  // Blocking (call it on the blocking pool): true when `sender` got no automatic reply from the
  // account in the `period` seconds before `now`, and then records one at `now`, durably. The
  // check and the record are one write, so two deliveries at once send one reply.
  bool claim_auto_reply(int64_t account_id, const std::string& sender, int64_t now, int64_t period);

 private:
  store::Store& db_;
};

}  // namespace ximssd::delivery
