#pragma once

#include <filesystem>
#include <string>

namespace recsys::testing {

// The PostgreSQL server of the database tests. Unless RECSYS_TEST_DATABASE_URL names a
// server to use, SetUp starts a private cluster with scripts/local-db.sh in a new temporary
// directory on a free port other than the default, and TearDown stops it by the postmaster's
// PID and removes the directory. The tests drop and recreate the recsys tables, so the
// variable must name a database that contains nothing else of value; DATABASE_URL is not reused.
class PostgresEnvironment {
 public:
  static const std::string& database_url();
  static const std::filesystem::path& cluster_directory();  // Empty for an external server.
};

}  // namespace recsys::testing
