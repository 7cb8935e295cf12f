// A thin RAII layer over SQLite: a connection and prepared statements with typed bind/column.
// Errors become Failure(internal) (or alreadyExists for constraint violations).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ximssd::store {

class SqliteDb;

class Statement {
 public:
  Statement(SqliteDb& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind_blob(int index, std::string_view value);
  Statement& bind_null(int index);

  // Steps once: true when a row is available.
  bool step();
  // Steps to completion (for statements that return no rows).
  void run();
  void reset();

  int64_t int64(int column) const;
  std::string text(int column) const;
  bool is_null(int column) const;

 private:
  SqliteDb& db_;
  // Declared (so initialised) before stmt_: acquire() sets it while stmt_ is initialised.
  bool* in_use_ = nullptr;  // the cache slot's flag; null for an uncached statement
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  // Opens (creating when absent) the database and sets WAL mode, full synchronous commits,
  // foreign keys and a busy timeout so that admin commands can run beside a live server.
  explicit SqliteDb(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(std::string_view sql);
  int64_t last_insert_id() const;
  int changes() const;
  sqlite3* handle() const { return db_; }
  [[noreturn]] void fail(int rc, std::string_view what) const;

 private:
  friend class Statement;
  // Prepared statements are cached per connection, keyed by their SQL text; a statement that is
  // already in use (a nested query with the same text) gets a fresh, uncached one.
  sqlite3_stmt* acquire(std::string_view sql, bool*& in_use);
  static void release(sqlite3_stmt* stmt, bool* in_use) noexcept;

  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, CachedStatement> cache_;
};

// Runs the body inside BEGIN IMMEDIATE ... COMMIT, rolling back when it throws.
template <class F>
auto in_transaction(SqliteDb& db, F&& body) {
  db.exec("BEGIN IMMEDIATE");
  try {
    if constexpr (std::is_void_v<decltype(body())>) {
      body();
      db.exec("COMMIT");
    } else {
      auto result = body();
      db.exec("COMMIT");
      return result;
    }
  } catch (...) {
    db.exec("ROLLBACK");
    throw;
  }
}

}  // namespace ximssd::store
