#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace recsys::db {

// A failed libpq call or SQL statement. The message names the statement and carries the
// server's message; it never contains the connection password.
class DatabaseError : public Error {
 public:
  DatabaseError(const std::string& message, std::string sqlstate, bool connection_lost)
      : Error(message), sqlstate_(std::move(sqlstate)), connection_lost_(connection_lost) {}

  // Five-character SQLSTATE of the server error ("42P01", ...), empty for client errors.
  const std::string& sqlstate() const { return sqlstate_; }
  // True when the connection is broken; the caller should discard it and open a new one.
  bool connection_lost() const { return connection_lost_; }

 private:
  std::string sqlstate_;
  bool connection_lost_;
};

// Returns the connection string to use: `option` when not empty, else the DATABASE_URL
// environment variable, else "" (libpq then reads PGHOST, PGPORT, PGUSER, PGDATABASE, ...).
std::string resolve_database_url(const std::string& option);

// Returns `conninfo` (URL or key=value form) with any password replaced by "***", for logs
// and error messages.
std::string redact_connection_string(const std::string& conninfo);

// The result of one statement; owns the PGresult.
class Result {
 public:
  Result() = default;
  explicit Result(PGresult* result) : result_(result, &PQclear) {}

  int rows() const;
  int columns() const;
  bool is_null(int row, int column) const;
  // Text of a field ("" for NULL); valid while this Result lives.
  std::string_view text(int row, int column) const;
  std::int64_t int64(int row, int column) const;
  double float64(int row, int column) const;
  // Number of rows a command affected (UPDATE, DELETE, COPY), 0 when not applicable.
  std::int64_t affected_rows() const;
  PGresult* get() const { return result_.get(); }

 private:
  std::shared_ptr<PGresult> result_;
};

// Query parameters in text format; std::nullopt is SQL NULL.
using Parameters = std::vector<std::optional<std::string>>;

// One libpq connection (RAII). Not thread-safe: use one Connection per thread, or a pool.
class Connection {
 public:
  // Connects with `conninfo` (a postgresql:// URL or key=value pairs; "" uses the PG*
  // variables). Throws DatabaseError naming the server (without password) on failure.
  explicit Connection(const std::string& conninfo);
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more SQL statements without parameters. Throws DatabaseError on failure.
  Result execute(const std::string& sql);
  // Runs one statement with $1, $2, ... bound to `parameters`.
  Result execute(const std::string& sql, const Parameters& parameters);

  // Prepares `sql` under `name` unless this connection already prepared that name.
  void prepare(const std::string& name, const std::string& sql);
  bool is_prepared(const std::string& name) const;
  // Executes a statement prepared with prepare().
  Result execute_prepared(const std::string& name, const Parameters& parameters);

  // Returns true when the connection is open and answers "SELECT 1".
  bool is_healthy();
  // "host:port/dbname" of the server, for logs; never the password.
  std::string description() const;
  PGconn* get() const { return connection_; }

 private:
  Result check(PGresult* result, std::string_view what);

  PGconn* connection_ = nullptr;
  std::set<std::string> prepared_;
};

// A transaction that rolls back unless commit() is called (RAII).
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Connection& connection_;
  bool open_ = true;
};

}  // namespace recsys::db
