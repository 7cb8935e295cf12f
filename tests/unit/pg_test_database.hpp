// A fresh PostgreSQL database for a unit test, on the server the test run provides
// (XIMSSD_TEST_PG: a libpq connection string without dbname; `make test` starts a private one).
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>

namespace testing_pg {

inline std::optional<std::string> base_conninfo() {
  const char* base = std::getenv("XIMSSD_TEST_PG");
  if (!base || !*base) return std::nullopt;
  return std::string(base);
}

inline void run_admin_sql(const std::string& sql) {
  auto base = base_conninfo();
  PGconn* conn = PQconnectdb((*base + " dbname=postgres").c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot reach the test PostgreSQL server: " + message);
  }
  PGresult* r = PQexec(conn, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string message = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(conn);
  if (!ok) throw std::runtime_error(sql + ": " + message);
}

// Creates an empty database (as the server wants it) and returns its connection string, or
// nothing when the run provides no server.
inline std::optional<std::string> create_database() {
  auto base = base_conninfo();
  if (!base) return std::nullopt;
  static std::atomic<int> counter{0};
  std::string name = "unit_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  run_admin_sql("CREATE DATABASE " + name +
                " ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
  return *base + " dbname=" + name;
}

// Runs one statement in the database `conninfo` names.
inline void run_sql(const std::string& conninfo, const std::string& sql) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  PGresult* r = PQexec(conn, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string message = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(conn);
  if (!ok) throw std::runtime_error(sql + ": " + message);
}

}  // namespace testing_pg
