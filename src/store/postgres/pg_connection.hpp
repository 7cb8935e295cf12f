// A thin RAII layer over libpq: one connection, its prepared statements (prepared once per
// connection, named by their SQL text), typed parameters and results, and the error model.
//
// Errors become Failure: alreadyExists for a unique violation, unavailable when the database
// cannot be reached (the connection is then marked broken and the next use reconnects), and
// PgConflict (internal) for a deadlock or serialization failure, which the writer retries.
// Connecting never hangs: connect_timeout, TCP keepalives and tcp_user_timeout bound every wait
// unless the connection string sets them otherwise.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"

namespace ximssd::store {

// A deadlock or serialization failure between concurrent transactions (several nodes): the
// transaction was rolled back and may simply run again.
class PgConflict : public Failure {
 public:
  explicit PgConflict(const std::string& text) : Failure(ErrorCode::internal, text) {}
};

// Positional parameters ($1, $2, ...) in libpq's text format.
class PgParams {
 public:
  PgParams& add(int64_t value);
  PgParams& add(std::string_view value);
  PgParams& add(const std::string& value) { return add(std::string_view(value)); }
  PgParams& add(const char* value) { return add(std::string_view(value)); }
  PgParams& add(std::optional<int64_t> value);
  PgParams& add_null();
  PgParams& add_bytea(std::string_view bytes);  // binary data for a bytea column (hex text)
  // Sent as is, in binary format (a bytea column: no encoding on either side; large bodies).
  PgParams& add_binary(std::string_view bytes);
  // Array literals (for `= ANY($n::text[])`, `unnest(...)`).
  PgParams& add_text_array(const std::vector<std::string>& values);
  PgParams& add_int_array(const std::vector<int64_t>& values);

  int count() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> pointers() const;
  std::vector<int> lengths() const;
  const std::vector<int>& formats() const { return formats_; }

 private:
  void push_text(std::optional<std::string> value);

  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;  // 0 text, 1 binary, per parameter
};

class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}
  int rows() const { return PQntuples(result_.get()); }
  bool empty() const { return rows() == 0; }
  bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  int64_t int64(int row, int column) const;
  std::optional<int64_t> optional_int64(int row, int column) const;
  std::string text(int row, int column) const;
  std::string bytea(int row, int column) const;  // a bytea column, decoded
  bool boolean(int row, int column) const;
  // Rows a command changed (UPDATE, DELETE, INSERT).
  int64_t affected() const;

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

class PgConnection {
 public:
  // Connects at once; throws Failure(unavailable) when the database cannot be reached.
  explicit PgConnection(std::string conninfo);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` as a statement prepared once on this connection. With `binary_results` the
  // columns come in binary format (PgResult::text then gives a bytea's raw bytes).
  PgResult query(std::string_view sql, const PgParams& params = {}, bool binary_results = false);
  // Runs one or more statements without parameters (schema, settings).
  void exec(std::string_view sql);

  // Transactions. A connection lost inside one fails every later statement until rollback();
  // outside one, the next statement reconnects.
  void begin();
  void commit();
  void rollback() noexcept;
  bool in_transaction() const { return in_transaction_; }

  // True when the connection was lost (the next statement outside a transaction reconnects).
  bool broken() const;
  PGconn* handle() const { return conn_; }
  const std::string& conninfo() const { return conninfo_; }

 private:
  void connect();
  PgResult query_once(std::string_view sql, const PgParams& params, bool binary_results);
  [[noreturn]] void fail(PGresult* result, std::string_view what);
  PgResult check(PGresult* result, std::string_view what);

  std::string conninfo_;
  PGconn* conn_ = nullptr;
  bool in_transaction_ = false;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

// Opens a connection for `conninfo` with the server's defaults (bounded waits; see above).
PGconn* pg_connect(const std::string& conninfo);

}  // namespace ximssd::store
