#include "db/migrations.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <regex>

#include "data/sha256.hpp"

namespace recsys::db {

namespace {

// Key of the advisory lock held while migrating: any fixed 64-bit number that no other lock
// of this database uses.
constexpr const char* kMigrationLockKey = "7353720001";

const char* const kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
))sql";

struct AppliedMigration {
  std::string name;
  std::string checksum;
};

std::map<int, AppliedMigration> read_applied(Connection& connection) {
  std::map<int, AppliedMigration> applied;
  Result result = connection.execute("SELECT version, name, checksum FROM schema_migrations");
  for (int row = 0; row < result.rows(); ++row) {
    applied[static_cast<int>(result.int64(row, 0))] = {std::string(result.text(row, 1)),
                                                       std::string(result.text(row, 2))};
  }
  return applied;
}

// Checks the applied migrations against `migrations`; returns how many are applied.
int verify_applied(const std::map<int, AppliedMigration>& applied,
                   const std::vector<Migration>& migrations) {
  for (const auto& [version, row] : applied) {
    if (version < 1 || version > static_cast<int>(migrations.size())) {
      throw Error("the database lists migration " + std::to_string(version) + " (" + row.name +
                  ") that this program does not have: it was migrated by a newer recsys; "
                  "use that version of recsys");
    }
    const Migration& migration = migrations[static_cast<std::size_t>(version - 1)];
    if (row.checksum != migration.checksum) {
      throw Error("migration " + migration.name + " was changed after it was applied (checksum " +
                  row.checksum.substr(0, 12) + " in schema_migrations, " +
                  migration.checksum.substr(0, 12) +
                  " in the program): restore the file and add the change as a new migration");
    }
  }
  return static_cast<int>(applied.size());
}

}  // namespace

std::vector<Migration> parse_migrations(const std::vector<MigrationFile>& files) {
  static const std::regex name_pattern(R"(^(\d{4})_[a-z0-9_]+\.sql$)");
  std::vector<Migration> migrations;
  for (const auto& file : files) {
    std::smatch match;
    if (!std::regex_match(file.name, match, name_pattern)) {
      throw Error("migration file name '" + file.name +
                  "' is invalid: use NNNN_description.sql with lowercase letters, digits and _");
    }
    int version = std::stoi(match[1].str());
    int expected = static_cast<int>(migrations.size()) + 1;
    if (version != expected) {
      throw Error("migration '" + file.name + "' has version " + std::to_string(version) +
                  " where version " + std::to_string(expected) +
                  " was expected: number the files 0001, 0002, ... without gaps or duplicates");
    }
    migrations.push_back({version, file.name, file.sql, sha256_hex(file.sql)});
  }
  return migrations;
}

MigrationReport migrate(Connection& connection, const std::vector<Migration>& migrations) {
  MigrationReport report;
  connection.execute("SET client_min_messages = warning");
  connection.execute(std::string("SELECT pg_advisory_lock(") + kMigrationLockKey + ")");
  try {
    connection.execute(kCreateMigrationsTable);
    auto applied = read_applied(connection);
    report.already_applied = verify_applied(applied, migrations);

    for (const auto& migration : migrations) {
      if (applied.contains(migration.version)) {
        continue;
      }
      spdlog::info("applying migration {}", migration.name);
      Transaction transaction(connection);
      try {
        connection.execute(migration.sql);
      } catch (const DatabaseError& e) {
        throw DatabaseError("migration " + migration.name + " failed: " + e.what(), e.sqlstate(),
                            e.connection_lost());
      }
      connection.execute(
          "INSERT INTO schema_migrations (version, name, checksum) "
          "VALUES ($1, $2, $3)",
          {std::to_string(migration.version), migration.name, migration.checksum});
      transaction.commit();
      report.applied.push_back(migration.name);
    }
  } catch (...) {
    if (PQstatus(connection.get()) == CONNECTION_OK) {
      connection.execute(std::string("SELECT pg_advisory_unlock(") + kMigrationLockKey + ")");
    }
    throw;
  }
  connection.execute(std::string("SELECT pg_advisory_unlock(") + kMigrationLockKey + ")");
  return report;
}

void require_migrated(Connection& connection, const std::vector<Migration>& migrations) {
  Result exists = connection.execute("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (exists.text(0, 0) != "t") {
    throw Error("the database " + connection.description() +
                " has no recsys schema: run recsys db migrate");
  }
  auto applied = read_applied(connection);
  int count = verify_applied(applied, migrations);
  if (count < static_cast<int>(migrations.size())) {
    throw Error("the database " + connection.description() + " lacks " +
                std::to_string(migrations.size() - static_cast<std::size_t>(count)) +
                " migration(s): run recsys db migrate");
  }
}

}  // namespace recsys::db
