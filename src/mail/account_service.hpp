// Domains and accounts: creation, removal, credentials and login records. The admin commands
// use the blocking forms; sessions use the coroutine forms, which hash on the blocking pool and
// write through the group-commit writer.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <optional>
#include <string>
#include <vector>

#include "mail/credentials.hpp"
#include "store/records.hpp"
#include "store/store.hpp"

namespace ximssd::mail {

using store::AccountRecord;
using store::DomainRecord;

struct NewAccount {
  std::string name;
  std::string domain;
  std::string password;
  std::string real_name;
  std::string recovery_email;
};

class AccountService {
 public:
  AccountService(store::Store& db, HashCost cost, boost::asio::thread_pool* blocking_pool);

  // --- blocking forms (admin commands, start-up)
  DomainRecord add_domain(const std::string& name, bool signup_allowed);
  std::vector<DomainRecord> list_domains();
  void remove_domain(const std::string& name);
  AccountRecord add_account(const NewAccount& account);
  std::vector<AccountRecord> list_accounts(const std::string& domain);
  void remove_account(const std::string& name, const std::string& domain);
  void set_password(const std::string& name, const std::string& domain, const std::string& password);

  // --- reads (short, on the calling thread)
  std::optional<DomainRecord> find_domain(std::string_view name);
  std::optional<AccountRecord> find_account(std::string_view name, std::string_view domain);
  std::optional<AccountRecord> find_account(int64_t id);
  std::vector<std::string> app_password_names(int64_t account_id);
  std::optional<std::string> setting(int64_t account_id, std::string_view key);

  // --- CPU-heavy checks; call them off the network threads (see run_blocking)
  // True when `password` is the account's password or one of its application passwords.
  bool password_matches(const AccountRecord& account, std::string_view password);

  // --- coroutine forms (sessions)
  boost::asio::awaitable<AccountRecord> signup(NewAccount account);
  boost::asio::awaitable<bool> check_password(const AccountRecord& account, std::string password);
  boost::asio::awaitable<void> change_password(int64_t account_id, std::string password);
  boost::asio::awaitable<void> set_app_password(int64_t account_id, std::string name, std::string password);
  boost::asio::awaitable<void> remove_app_password(int64_t account_id, std::string name);
  boost::asio::awaitable<void> set_recovery_email(int64_t account_id, std::string email);
  boost::asio::awaitable<void> record_login(int64_t account_id, std::string ip);
  boost::asio::awaitable<void> record_failed_login(int64_t account_id, std::string ip);
  boost::asio::awaitable<void> set_setting(int64_t account_id, std::string key, std::string value);

  store::Store& database() { return db_; }

 private:
  store::StoredSecrets make_secrets(std::string_view password) const;
  void validate(const NewAccount& account);

  store::Store& db_;
  HashCost cost_;
  boost::asio::thread_pool* pool_;
};

}  // namespace ximssd::mail
