// Domains, accounts, app passwords and settings.
#include "store/postgres/pg_repository.hpp"

namespace ximssd::store {

namespace {

// Domain and account names compare case-insensitively (ASCII), as SQLite's COLLATE NOCASE.
constexpr std::string_view kAccountColumns =
    "SELECT a.id, a.domain_id, a.name, d.name, a.real_name, a.password_hash, a.cram_md5_secret, "
    "a.scram_sha256, a.recovery_email, a.last_login_time, a.last_login_ip, a.prev_login_time, "
    "a.prev_login_ip, a.last_failed_time, a.last_failed_ip "
    "FROM accounts a JOIN domains d ON d.id = a.domain_id ";

std::optional<LoginMark> read_mark(const PgResult& r, int row, int time_column) {
  if (r.is_null(row, time_column)) return std::nullopt;
  return LoginMark{r.int64(row, time_column), r.text(row, time_column + 1)};
}

AccountRecord read_account(const PgResult& r, int row) {
  AccountRecord a;
  a.id = r.int64(row, 0);
  a.domain_id = r.int64(row, 1);
  a.name = r.text(row, 2);
  a.domain = r.text(row, 3);
  a.real_name = r.text(row, 4);
  a.password_hash = r.text(row, 5);
  a.cram_md5_secret = r.bytea(row, 6);
  a.scram_sha256 = r.text(row, 7);
  a.recovery_email = r.text(row, 8);
  a.last_login = read_mark(r, row, 9);
  a.prev_login = read_mark(r, row, 11);
  a.last_failed = read_mark(r, row, 13);
  return a;
}

DomainRecord read_domain(const PgResult& r, int row) {
  return DomainRecord{r.int64(row, 0), r.text(row, 1), r.boolean(row, 2)};
}

}  // namespace

std::optional<DomainRecord> PgRepository::find_domain(std::string_view name) {
  auto r = db_.query("SELECT id, name, signup_allowed FROM domains WHERE lower(name) = lower($1)",
                     PgParams().add(name));
  if (r.empty()) return std::nullopt;
  return read_domain(r, 0);
}

std::vector<DomainRecord> PgRepository::list_domains() {
  auto r = db_.query("SELECT id, name, signup_allowed FROM domains ORDER BY lower(name) COLLATE \"C\"");
  std::vector<DomainRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_domain(r, i));
  return out;
}

int64_t PgRepository::insert_domain(std::string_view name, bool signup_allowed) {
  // ON CONFLICT: a duplicate must not abort the transaction (a caller may go on after it).
  auto r = db_.query(
      "INSERT INTO domains(name, signup_allowed, created) VALUES ($1, $2, extract(epoch FROM now())::bigint) "
      "ON CONFLICT DO NOTHING RETURNING id",
      PgParams().add(name).add(signup_allowed ? "true" : "false"));
  if (r.empty()) throw Failure(ErrorCode::alreadyExists, "the domain already exists");
  return r.int64(0, 0);
}

bool PgRepository::delete_domain(std::string_view name) {
  return db_.query("DELETE FROM domains WHERE lower(name) = lower($1)", PgParams().add(name)).affected() > 0;
}

std::optional<AccountRecord> PgRepository::find_account(std::string_view name, std::string_view domain) {
  auto r = db_.query(std::string(kAccountColumns) + "WHERE lower(a.name) = lower($1) AND lower(d.name) = lower($2)",
                     PgParams().add(name).add(domain));
  if (r.empty()) return std::nullopt;
  return read_account(r, 0);
}

std::optional<AccountRecord> PgRepository::find_account_by_id(int64_t id) {
  auto r = db_.query(std::string(kAccountColumns) + "WHERE a.id = $1", PgParams().add(id));
  if (r.empty()) return std::nullopt;
  return read_account(r, 0);
}

std::vector<AccountRecord> PgRepository::list_accounts(std::string_view domain) {
  auto r = db_.query(std::string(kAccountColumns) +
                         "WHERE $1 = '' OR lower(d.name) = lower($1) "
                         "ORDER BY lower(d.name) COLLATE \"C\", lower(a.name) COLLATE \"C\"",
                     PgParams().add(domain));
  std::vector<AccountRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_account(r, i));
  return out;
}

int64_t PgRepository::insert_account(int64_t domain_id, std::string_view name, std::string_view real_name,
                                     const StoredSecrets& secrets, std::string_view recovery_email, int64_t now) {
  auto r = db_.query(
      "INSERT INTO accounts(domain_id, name, real_name, password_hash, cram_md5_secret, scram_sha256, "
      "recovery_email, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id",
      PgParams()
          .add(domain_id)
          .add(name)
          .add(real_name)
          .add(secrets.password_hash)
          .add_bytea(secrets.cram_md5_secret)
          .add(secrets.scram_sha256)
          .add(recovery_email)
          .add(now));
  if (r.empty()) throw Failure(ErrorCode::alreadyExists, "the account already exists");
  return r.int64(0, 0);
}

bool PgRepository::delete_account(int64_t id) {
  return db_.query("DELETE FROM accounts WHERE id = $1", PgParams().add(id)).affected() > 0;
}

void PgRepository::set_secrets(int64_t id, const StoredSecrets& secrets) {
  db_.query("UPDATE accounts SET password_hash = $1, cram_md5_secret = $2, scram_sha256 = $3 WHERE id = $4",
            PgParams().add(secrets.password_hash).add_bytea(secrets.cram_md5_secret).add(secrets.scram_sha256).add(id));
}

void PgRepository::set_recovery_email(int64_t id, std::string_view email) {
  db_.query("UPDATE accounts SET recovery_email = $1 WHERE id = $2", PgParams().add(email).add(id));
}

void PgRepository::record_login(int64_t id, int64_t now, std::string_view ip) {
  db_.query(
      "UPDATE accounts SET prev_login_time = last_login_time, prev_login_ip = last_login_ip, "
      "last_login_time = $1, last_login_ip = $2 WHERE id = $3",
      PgParams().add(now).add(ip).add(id));
}

void PgRepository::record_failed_login(int64_t id, int64_t now, std::string_view ip) {
  db_.query("UPDATE accounts SET last_failed_time = $1, last_failed_ip = $2 WHERE id = $3",
            PgParams().add(now).add(ip).add(id));
}

std::vector<AppPassword> PgRepository::list_app_passwords(int64_t account_id) {
  auto r = db_.query(
      "SELECT name, password_hash, created FROM app_passwords WHERE account_id = $1 ORDER BY name COLLATE \"C\"",
      PgParams().add(account_id));
  std::vector<AppPassword> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(AppPassword{r.text(i, 0), r.text(i, 1), r.int64(i, 2)});
  return out;
}

void PgRepository::upsert_app_password(int64_t account_id, std::string_view name, std::string_view hash,
                                       int64_t now) {
  db_.query(
      "INSERT INTO app_passwords(account_id, name, password_hash, created) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (account_id, name) DO UPDATE SET password_hash = excluded.password_hash, created = excluded.created",
      PgParams().add(account_id).add(name).add(hash).add(now));
}

bool PgRepository::delete_app_password(int64_t account_id, std::string_view name) {
  return db_.query("DELETE FROM app_passwords WHERE account_id = $1 AND name = $2",
                   PgParams().add(account_id).add(name))
             .affected() > 0;
}

std::optional<std::string> PgRepository::account_setting(int64_t account_id, std::string_view key) {
  auto r = db_.query("SELECT value FROM account_settings WHERE account_id = $1 AND key = $2",
                     PgParams().add(account_id).add(key));
  if (r.empty()) return std::nullopt;
  return r.text(0, 0);
}

void PgRepository::set_account_setting(int64_t account_id, std::string_view key, std::string_view value) {
  db_.query(
      "INSERT INTO account_settings(account_id, key, value) VALUES ($1, $2, $3) "
      "ON CONFLICT (account_id, key) DO UPDATE SET value = excluded.value",
      PgParams().add(account_id).add(key).add(value));
}

std::optional<std::string> PgRepository::server_setting(std::string_view key) {
  auto r = db_.query("SELECT value FROM server_settings WHERE key = $1", PgParams().add(key));
  if (r.empty()) return std::nullopt;
  return r.text(0, 0);
}

void PgRepository::set_server_setting(std::string_view key, std::string_view value) {
  db_.query(
      "INSERT INTO server_settings(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      PgParams().add(key).add(value));
}

}  // namespace ximssd::store
