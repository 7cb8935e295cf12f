// Domains, accounts, application passwords and account settings: the rows and the SQL that
// reads and writes them. Functions take the connection to use, so the same code serves the
// group-commit writer, the per-thread readers and the admin commands.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::store {

class SqliteDb;

struct DomainRecord {
  int64_t id = 0;
  std::string name;
  bool signup_allowed = false;
};

struct LoginMark {
  int64_t time = 0;  // seconds since the epoch
  std::string ip;
};

struct AccountRecord {
  int64_t id = 0;
  int64_t domain_id = 0;
  std::string name;
  std::string domain;
  std::string real_name;
  std::string password_hash;    // argon2id, libsodium's encoded form
  std::string cram_md5_secret;  // 32 bytes, see mail/credentials.hpp
  std::string scram_sha256;     // "iterations:salt:storedkey:serverkey", see mail/credentials.hpp
  std::string recovery_email;
  std::optional<LoginMark> last_login, prev_login, last_failed;

  std::string address() const { return name + "@" + domain; }
};

struct StoredSecrets {
  std::string password_hash, cram_md5_secret, scram_sha256;
};

namespace accounts_sql {

std::optional<DomainRecord> find_domain(SqliteDb& db, std::string_view name);
std::vector<DomainRecord> list_domains(SqliteDb& db);
int64_t insert_domain(SqliteDb& db, std::string_view name, bool signup_allowed);
bool delete_domain(SqliteDb& db, std::string_view name);

std::optional<AccountRecord> find_account(SqliteDb& db, std::string_view name, std::string_view domain);
std::optional<AccountRecord> find_account_by_id(SqliteDb& db, int64_t id);
std::vector<AccountRecord> list_accounts(SqliteDb& db, std::string_view domain);  // "" = all
int64_t insert_account(SqliteDb& db, int64_t domain_id, std::string_view name,
                       std::string_view real_name, const StoredSecrets& secrets,
                       std::string_view recovery_email, int64_t now);
bool delete_account(SqliteDb& db, int64_t id);
void set_secrets(SqliteDb& db, int64_t id, const StoredSecrets& secrets);
void set_recovery_email(SqliteDb& db, int64_t id, std::string_view email);
// The current "last login" becomes the "previous login".
void record_login(SqliteDb& db, int64_t id, int64_t now, std::string_view ip);
void record_failed_login(SqliteDb& db, int64_t id, int64_t now, std::string_view ip);

struct AppPassword {
  std::string name;
  std::string password_hash;
  int64_t created = 0;
};
std::vector<AppPassword> list_app_passwords(SqliteDb& db, int64_t account_id);
void upsert_app_password(SqliteDb& db, int64_t account_id, std::string_view name,
                         std::string_view hash, int64_t now);
bool delete_app_password(SqliteDb& db, int64_t account_id, std::string_view name);

std::optional<std::string> account_setting(SqliteDb& db, int64_t account_id, std::string_view key);
void set_account_setting(SqliteDb& db, int64_t account_id, std::string_view key, std::string_view value);

std::optional<std::string> server_setting(SqliteDb& db, std::string_view key);
void set_server_setting(SqliteDb& db, std::string_view key, std::string_view value);

}  // namespace accounts_sql
}  // namespace ximssd::store
