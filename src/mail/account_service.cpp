#include "mail/account_service.hpp"

#include <boost/asio/use_awaitable.hpp>

#include "base/error.hpp"
#include "base/run_blocking.hpp"
#include "base/text.hpp"
#include "base/time_format.hpp"
#include "mail/names.hpp"

namespace ximssd::mail {

using boost::asio::awaitable;

namespace {

// The account's rows: the account itself and its INBOX, in the caller's transaction.
AccountRecord insert_account_rows(store::Repository& db, const NewAccount& account,
                                  const store::StoredSecrets& secrets, int64_t now) {
  auto domain = db.find_domain(account.domain);
  if (!domain) throw Failure(ErrorCode::notFound, "unknown domain: " + account.domain);
  if (db.find_account(account.name, domain->name))
    throw Failure(ErrorCode::alreadyExists, "account already exists: " + account.name + "@" + domain->name);
  int64_t id = db.insert_account(domain->id, ascii_lower(account.name), account.real_name, secrets,
                                 account.recovery_email, now);
  db.insert_mailbox(id, "INBOX", "", false, db.next_uid_validity(now));
  return *db.find_account_by_id(id);
}
}  // namespace

AccountService::AccountService(store::Store& db, HashCost cost, boost::asio::thread_pool* pool)
    : db_(db), cost_(cost), pool_(pool) {}

store::StoredSecrets AccountService::make_secrets(std::string_view password) const {
  return store::StoredSecrets{hash_password(password, cost_), make_cram_md5_secret(password),
                              make_scram_sha256(password)};
}

DomainRecord AccountService::add_domain(const std::string& name, bool signup_allowed) {
  check_domain_name(name);
  std::string lower = ascii_lower(name);
  return db_.write_now([&](store::Repository& db) {
    if (db.find_domain(lower)) throw Failure(ErrorCode::alreadyExists, "domain already exists: " + lower);
    int64_t id = db.insert_domain(lower, signup_allowed);
    return DomainRecord{id, lower, signup_allowed};
  });
}

std::vector<DomainRecord> AccountService::list_domains() { return db_.reader().list_domains(); }

void AccountService::remove_domain(const std::string& name) {
  db_.write_now([&](store::Repository& db) {
    if (!db.delete_domain(name)) throw Failure(ErrorCode::notFound, "unknown domain: " + name);
    return 0;
  });
}

void AccountService::validate(const NewAccount& account) {
  check_account_name(account.name);
  check_password_text(account.password);
  if (!account.recovery_email.empty()) check_email_address(account.recovery_email);
  if (account.real_name.size() > 256 || !is_valid_utf8(account.real_name))
    throw Failure(ErrorCode::badRequest, "real name must be UTF-8 of at most 256 bytes");
}

AccountRecord AccountService::add_account(const NewAccount& account) {
  validate(account);
  auto secrets = make_secrets(account.password);
  int64_t now = now_epoch_seconds();
  return db_.write_now([&](store::Repository& db) { return insert_account_rows(db, account, secrets, now); });
}

std::vector<AccountRecord> AccountService::list_accounts(const std::string& domain) {
  return db_.reader().list_accounts(domain);
}

void AccountService::remove_account(const std::string& name, const std::string& domain) {
  db_.write_now([&](store::Repository& db) {
    auto account = db.find_account(name, domain);
    if (!account) throw Failure(ErrorCode::notFound, "unknown account: " + name + "@" + domain);
    db.delete_account(account->id);
    return 0;
  });
}

void AccountService::set_password(const std::string& name, const std::string& domain,
                                  const std::string& password) {
  check_password_text(password);
  auto secrets = make_secrets(password);
  db_.write_now([&](store::Repository& db) {
    auto account = db.find_account(name, domain);
    if (!account) throw Failure(ErrorCode::notFound, "unknown account: " + name + "@" + domain);
    db.set_secrets(account->id, secrets);
    return 0;
  });
}

std::optional<DomainRecord> AccountService::find_domain(std::string_view name) {
  return db_.reader().find_domain(name);
}

std::optional<AccountRecord> AccountService::find_account(std::string_view name, std::string_view domain) {
  return db_.reader().find_account(name, domain);
}

std::optional<AccountRecord> AccountService::find_account(int64_t id) {
  return db_.reader().find_account_by_id(id);
}

std::vector<std::string> AccountService::app_password_names(int64_t account_id) {
  std::vector<std::string> names;
  for (auto& p : db_.reader().list_app_passwords(account_id)) names.push_back(p.name);
  return names;
}

std::optional<std::string> AccountService::setting(int64_t account_id, std::string_view key) {
  return db_.reader().account_setting(account_id, key);
}

bool AccountService::password_matches(const AccountRecord& account, std::string_view password) {
  if (verify_password(account.password_hash, password)) return true;
  for (auto& app : db_.reader().list_app_passwords(account.id))
    if (verify_password(app.password_hash, password)) return true;
  return false;
}

awaitable<AccountRecord> AccountService::signup(NewAccount account) {
  validate(account);
  auto secrets = co_await run_blocking(*pool_, [&] { return make_secrets(account.password); });
  int64_t now = now_epoch_seconds();
  co_return co_await db_.write<AccountRecord>(
      [&](store::Repository& db) { return insert_account_rows(db, account, secrets, now); });
}

awaitable<bool> AccountService::check_password(const AccountRecord& account, std::string password) {
  co_return co_await run_blocking(*pool_, [&] { return password_matches(account, password); });
}

awaitable<void> AccountService::change_password(int64_t account_id, std::string password) {
  check_password_text(password);
  auto secrets = co_await run_blocking(*pool_, [&] { return make_secrets(password); });
  co_await db_.write<int>([&](store::Repository& db) {
    db.set_secrets(account_id, secrets);
    return 0;
  });
}

awaitable<void> AccountService::set_app_password(int64_t account_id, std::string name, std::string password) {
  check_password_text(password);
  if (name.empty() || name.size() > 64 || !is_valid_utf8(name))
    throw Failure(ErrorCode::badRequest, "application password name must be 1 to 64 characters");
  auto hash = co_await run_blocking(*pool_, [&] { return hash_password(password, cost_); });
  int64_t now = now_epoch_seconds();
  co_await db_.write<int>([&](store::Repository& db) {
    db.upsert_app_password(account_id, name, hash, now);
    return 0;
  });
}

awaitable<void> AccountService::remove_app_password(int64_t account_id, std::string name) {
  co_await db_.write<int>([&](store::Repository& db) {
    if (!db.delete_app_password(account_id, name))
      throw Failure(ErrorCode::notFound, "no application password named " + name);
    return 0;
  });
}

awaitable<void> AccountService::set_recovery_email(int64_t account_id, std::string email) {
  if (!email.empty()) check_email_address(email);
  co_await db_.write<int>([&](store::Repository& db) {
    db.set_recovery_email(account_id, email);
    return 0;
  });
}

awaitable<void> AccountService::record_login(int64_t account_id, std::string ip) {
  int64_t now = now_epoch_seconds();
  co_await db_.write<int>([&](store::Repository& db) {
    db.record_login(account_id, now, ip);
    return 0;
  });
}

awaitable<void> AccountService::record_failed_login(int64_t account_id, std::string ip) {
  int64_t now = now_epoch_seconds();
  co_await db_.write<int>([&](store::Repository& db) {
    db.record_failed_login(account_id, now, ip);
    return 0;
  });
}

awaitable<void> AccountService::set_setting(int64_t account_id, std::string key, std::string value) {
  co_await db_.write<int>([&](store::Repository& db) {
    db.set_account_setting(account_id, key, value);
    return 0;
  });
}

}  // namespace ximssd::mail
