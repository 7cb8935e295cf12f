#include "store/postgres/pg_connection.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <cstring>

namespace ximssd::store {

namespace {

constexpr std::string_view kHex = "0123456789abcdef";

// SQLSTATE classes that mean the server is gone or refusing us: the connection is useless and
// the caller gets Failure(unavailable).
bool connection_lost(std::string_view state) {
  return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03" ||
         state.starts_with("53");  // insufficient resources (too many connections, ...)
}

// libpq's messages span lines (ERROR:, DETAIL:, a context): one line of text, spaces collapsed,
// so that every protocol can show it as is.
std::string trim_message(const char* text) {
  std::string s;
  for (const char* p = text ? text : ""; *p; ++p) {
    char c = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
    if (c == ' ' && (s.empty() || s.back() == ' ')) continue;
    s += c;
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

void PgParams::push_text(std::optional<std::string> value) {
  values_.push_back(std::move(value));
  formats_.push_back(0);
}

PgParams& PgParams::add_binary(std::string_view bytes) {
  values_.emplace_back(std::string(bytes));
  formats_.push_back(1);
  return *this;
}

PgParams& PgParams::add(int64_t value) {
  push_text(std::to_string(value));
  return *this;
}

PgParams& PgParams::add(std::string_view value) {
  // Text parameters end at a NUL byte; PostgreSQL text cannot hold one anyway.
  push_text(std::string(value.substr(0, value.find('\0'))));
  return *this;
}

PgParams& PgParams::add(std::optional<int64_t> value) {
  if (value) return add(*value);
  return add_null();
}

PgParams& PgParams::add_null() {
  push_text(std::nullopt);
  return *this;
}

PgParams& PgParams::add_bytea(std::string_view bytes) {
  std::string hex = "\\x";
  hex.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  push_text(std::move(hex));
  return *this;
}

PgParams& PgParams::add_text_array(const std::vector<std::string>& values) {
  std::string literal = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) literal += ',';
    literal += '"';
    for (char c : values[i]) {
      if (c == '\0') break;
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  push_text(std::move(literal));
  return *this;
}

PgParams& PgParams::add_int_array(const std::vector<int64_t>& values) {
  std::string literal = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) literal += ',';
    literal += std::to_string(values[i]);
  }
  literal += '}';
  push_text(std::move(literal));
  return *this;
}

std::vector<int> PgParams::lengths() const {
  std::vector<int> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? static_cast<int>(v->size()) : 0);
  return out;
}

std::vector<const char*> PgParams::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

int64_t PgResult::int64(int row, int column) const {
  const char* v = PQgetvalue(result_.get(), row, column);
  if (!v || !*v) return 0;
  if (*v == 't') return 1;  // a boolean column read as a number
  if (*v == 'f') return 0;
  return std::strtoll(v, nullptr, 10);
}

std::optional<int64_t> PgResult::optional_int64(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return int64(row, column);
}

std::string PgResult::text(int row, int column) const {
  if (is_null(row, column)) return {};
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<size_t>(PQgetlength(result_.get(), row, column)));
}

std::string PgResult::bytea(int row, int column) const {
  if (is_null(row, column)) return {};
  size_t length = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_.get(), row, column)), &length);
  if (!raw) throw Failure(ErrorCode::internal, "database: cannot decode a bytea value");
  std::string out(reinterpret_cast<const char*>(raw), length);
  PQfreemem(raw);
  return out;
}

bool PgResult::boolean(int row, int column) const {
  const char* v = PQgetvalue(result_.get(), row, column);
  return v && *v == 't';
}

int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(result_.get());
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

PGconn* pg_connect(const std::string& conninfo) {
  // The defaults come first: the connection string (expanded from "dbname") overrides them.
  std::array<const char*, 9> keys = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                                     "keepalives_count", "tcp_user_timeout", "client_encoding", "dbname", nullptr};
  std::array<const char*, 9> values = {"5", "1", "10", "5", "3", "15000", "SQL_ASCII", conninfo.c_str(), nullptr};
  return PQconnectdbParams(keys.data(), values.data(), 1);
}

PgConnection::PgConnection(std::string conninfo) : conninfo_(std::move(conninfo)) { connect(); }

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

void PgConnection::connect() {
  if (conn_) PQfinish(conn_);
  prepared_.clear();
  conn_ = pg_connect(conninfo_);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    std::string message = conn_ ? trim_message(PQerrorMessage(conn_)) : "out of memory";
    if (conn_) PQfinish(conn_);  // a failed attempt still holds memory
    conn_ = nullptr;
    throw Failure(ErrorCode::unavailable, "the database is unavailable: " + message);
  }
  // Statements must not wait for ever on a lock another node holds; a commit must be durable.
  PGresult* r = PQexec(conn_, "SET lock_timeout = '30s'; SET synchronous_commit = on");
  PQclear(r);
}

bool PgConnection::broken() const { return !conn_ || PQstatus(conn_) != CONNECTION_OK; }

void PgConnection::begin() {
  bool reused = !broken();
  if (!reused) connect();
  try {
    check(PQexec(conn_, "BEGIN"), "begin");
  } catch (const Failure&) {
    if (!reused || !broken()) throw;
    connect();  // closed while idle (the database restarted): BEGIN on a new connection
    check(PQexec(conn_, "BEGIN"), "begin");
  }
  in_transaction_ = true;
}

void PgConnection::commit() {
  if (broken()) throw Failure(ErrorCode::unavailable, "the database connection was lost");
  in_transaction_ = false;  // whatever COMMIT answers, the transaction is over
  check(PQexec(conn_, "COMMIT"), "commit");
}

void PgConnection::rollback() noexcept {
  in_transaction_ = false;
  if (broken()) return;
  PQclear(PQexec(conn_, "ROLLBACK"));
}

void PgConnection::fail(PGresult* result, std::string_view what) {
  const char* state_text = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string state = state_text ? state_text : "";
  std::string message = trim_message(result ? PQresultErrorMessage(result) : nullptr);
  if (message.empty()) message = trim_message(PQerrorMessage(conn_));
  if (result) PQclear(result);
  if (broken() || connection_lost(state)) {
    // Dropped: the next statement outside a transaction reconnects (inside one, reconnecting
    // would lose the transaction's earlier statements silently).
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    prepared_.clear();
    throw Failure(ErrorCode::unavailable, "the database is unavailable: " + message);
  }
  if (state == "40P01" || state == "40001") throw PgConflict(std::string(what) + ": " + message);
  if (state == "23505") throw Failure(ErrorCode::alreadyExists, std::string(what) + ": " + message);
  throw Failure(ErrorCode::internal, std::string(what) + ": " + message);
}

PgResult PgConnection::check(PGresult* result, std::string_view what) {
  auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(result);
  fail(result, what);
}

PgResult PgConnection::query(std::string_view sql, const PgParams& params, bool binary_results) {
  // Outside a transaction (reads), a connection the database closed while it sat idle (a
  // restart) is replaced and the statement runs once more.
  bool reused = !in_transaction_ && !broken();
  try {
    return query_once(sql, params, binary_results);
  } catch (const Failure&) {
    if (!reused || !broken()) throw;
  }
  return query_once(sql, params, binary_results);
}

PgResult PgConnection::query_once(std::string_view sql, const PgParams& params, bool binary_results) {
  if (broken()) {
    if (in_transaction_) throw Failure(ErrorCode::unavailable, "the database connection was lost");
    connect();
  }
  std::string key(sql);
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    std::string name = "q" + std::to_string(prepared_.size());
    check(PQprepare(conn_, name.c_str(), key.c_str(), 0, nullptr), "prepare");
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  auto pointers = params.pointers();
  auto lengths = params.lengths();
  return check(PQexecPrepared(conn_, it->second.c_str(), params.count(), pointers.data(), lengths.data(),
                              params.formats().data(), binary_results ? 1 : 0),
               "query");
}

void PgConnection::exec(std::string_view sql) {
  if (broken()) {
    if (in_transaction_) throw Failure(ErrorCode::unavailable, "the database connection was lost");
    connect();
  }
  std::string text(sql);
  check(PQexec(conn_, text.c_str()), "sql");
}

}  // namespace ximssd::store
