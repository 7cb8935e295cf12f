#include "store/sqlite/sqlite_repository.hpp"

namespace ximssd::store {

namespace {

constexpr std::string_view kAccountColumns =
    "SELECT a.id, a.domain_id, a.name, d.name, a.real_name, a.password_hash, a.cram_md5_secret, "
    "a.scram_sha256, a.recovery_email, a.last_login_time, a.last_login_ip, a.prev_login_time, "
    "a.prev_login_ip, a.last_failed_time, a.last_failed_ip "
    "FROM accounts a JOIN domains d ON d.id = a.domain_id ";

std::optional<LoginMark> read_mark(const Statement& st, int time_column) {
  if (st.is_null(time_column)) return std::nullopt;
  return LoginMark{st.int64(time_column), st.text(time_column + 1)};
}

AccountRecord read_account(const Statement& st) {
  AccountRecord a;
  a.id = st.int64(0);
  a.domain_id = st.int64(1);
  a.name = st.text(2);
  a.domain = st.text(3);
  a.real_name = st.text(4);
  a.password_hash = st.text(5);
  a.cram_md5_secret = st.text(6);
  a.scram_sha256 = st.text(7);
  a.recovery_email = st.text(8);
  a.last_login = read_mark(st, 9);
  a.prev_login = read_mark(st, 11);
  a.last_failed = read_mark(st, 13);
  return a;
}

DomainRecord read_domain(const Statement& st) {
  return DomainRecord{st.int64(0), st.text(1), st.int64(2) != 0};
}

}  // namespace

std::optional<DomainRecord> SqliteRepository::find_domain(std::string_view name) {
  Statement st(db_, "SELECT id, name, signup_allowed FROM domains WHERE name = ?");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return read_domain(st);
}

std::vector<DomainRecord> SqliteRepository::list_domains() {
  Statement st(db_, "SELECT id, name, signup_allowed FROM domains ORDER BY name");
  std::vector<DomainRecord> out;
  while (st.step()) out.push_back(read_domain(st));
  return out;
}

int64_t SqliteRepository::insert_domain(std::string_view name, bool signup_allowed) {
  Statement st(db_, "INSERT INTO domains(name, signup_allowed, created) VALUES (?, ?, strftime('%s'))");
  st.bind(1, name).bind(2, int64_t{signup_allowed});
  st.run();
  return db_.last_insert_id();
}

bool SqliteRepository::delete_domain(std::string_view name) {
  Statement st(db_, "DELETE FROM domains WHERE name = ?");
  st.bind(1, name).run();
  return db_.changes() > 0;
}

std::optional<AccountRecord> SqliteRepository::find_account(std::string_view name, std::string_view domain) {
  Statement st(db_, std::string(kAccountColumns) + "WHERE a.name = ? AND d.name = ?");
  st.bind(1, name).bind(2, domain);
  if (!st.step()) return std::nullopt;
  return read_account(st);
}

std::optional<AccountRecord> SqliteRepository::find_account_by_id(int64_t id) {
  Statement st(db_, std::string(kAccountColumns) + "WHERE a.id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_account(st);
}

std::vector<AccountRecord> SqliteRepository::list_accounts(std::string_view domain) {
  Statement st(db_, std::string(kAccountColumns) + "WHERE ? = '' OR d.name = ? ORDER BY d.name, a.name");
  st.bind(1, domain).bind(2, domain);
  std::vector<AccountRecord> out;
  while (st.step()) out.push_back(read_account(st));
  return out;
}

int64_t SqliteRepository::insert_account(int64_t domain_id, std::string_view name,
                       std::string_view real_name, const StoredSecrets& secrets,
                       std::string_view recovery_email, int64_t now) {
  Statement st(db_,
               "INSERT INTO accounts(domain_id, name, real_name, password_hash, cram_md5_secret, "
               "scram_sha256, recovery_email, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, domain_id).bind(2, name).bind(3, real_name).bind(4, secrets.password_hash);
  st.bind_blob(5, secrets.cram_md5_secret).bind(6, secrets.scram_sha256).bind(7, recovery_email);
  st.bind(8, now).run();
  return db_.last_insert_id();
}

bool SqliteRepository::delete_account(int64_t id) {
  Statement st(db_, "DELETE FROM accounts WHERE id = ?");
  st.bind(1, id).run();
  return db_.changes() > 0;
}

void SqliteRepository::set_secrets(int64_t id, const StoredSecrets& secrets) {
  Statement st(db_,
               "UPDATE accounts SET password_hash = ?, cram_md5_secret = ?, scram_sha256 = ? "
               "WHERE id = ?");
  st.bind(1, secrets.password_hash).bind_blob(2, secrets.cram_md5_secret);
  st.bind(3, secrets.scram_sha256).bind(4, id).run();
}

void SqliteRepository::set_recovery_email(int64_t id, std::string_view email) {
  Statement st(db_, "UPDATE accounts SET recovery_email = ? WHERE id = ?");
  st.bind(1, email).bind(2, id).run();
}

void SqliteRepository::record_login(int64_t id, int64_t now, std::string_view ip) {
  Statement st(db_,
               "UPDATE accounts SET prev_login_time = last_login_time, prev_login_ip = last_login_ip, "
               "last_login_time = ?, last_login_ip = ? WHERE id = ?");
  st.bind(1, now).bind(2, ip).bind(3, id).run();
}

void SqliteRepository::record_failed_login(int64_t id, int64_t now, std::string_view ip) {
  Statement st(db_, "UPDATE accounts SET last_failed_time = ?, last_failed_ip = ? WHERE id = ?");
  st.bind(1, now).bind(2, ip).bind(3, id).run();
}

std::vector<AppPassword> SqliteRepository::list_app_passwords(int64_t account_id) {
  Statement st(db_,
               "SELECT name, password_hash, created FROM app_passwords WHERE account_id = ? "
               "ORDER BY name");
  st.bind(1, account_id);
  std::vector<AppPassword> out;
  while (st.step()) out.push_back(AppPassword{st.text(0), st.text(1), st.int64(2)});
  return out;
}

void SqliteRepository::upsert_app_password(int64_t account_id, std::string_view name,
                         std::string_view hash, int64_t now) {
  Statement st(db_,
               "INSERT INTO app_passwords(account_id, name, password_hash, created) VALUES (?,?,?,?) "
               "ON CONFLICT(account_id, name) DO UPDATE SET password_hash = excluded.password_hash, "
               "created = excluded.created");
  st.bind(1, account_id).bind(2, name).bind(3, hash).bind(4, now).run();
}

bool SqliteRepository::delete_app_password(int64_t account_id, std::string_view name) {
  Statement st(db_, "DELETE FROM app_passwords WHERE account_id = ? AND name = ?");
  st.bind(1, account_id).bind(2, name).run();
  return db_.changes() > 0;
}

std::optional<std::string> SqliteRepository::account_setting(int64_t account_id, std::string_view key) {
  Statement st(db_, "SELECT value FROM account_settings WHERE account_id = ? AND key = ?");
  st.bind(1, account_id).bind(2, key);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

void SqliteRepository::set_account_setting(int64_t account_id, std::string_view key, std::string_view value) {
  Statement st(db_,
               "INSERT INTO account_settings(account_id, key, value) VALUES (?,?,?) "
               "ON CONFLICT(account_id, key) DO UPDATE SET value = excluded.value");
  st.bind(1, account_id).bind(2, key).bind(3, value).run();
}

std::optional<std::string> SqliteRepository::server_setting(std::string_view key) {
  Statement st(db_, "SELECT value FROM server_settings WHERE key = ?");
  st.bind(1, key);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

void SqliteRepository::set_server_setting(std::string_view key, std::string_view value) {
  Statement st(db_,
               "INSERT INTO server_settings(key, value) VALUES (?,?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  st.bind(1, key).bind(2, value).run();
}

}  // namespace ximssd::store
