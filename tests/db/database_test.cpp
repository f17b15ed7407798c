#include "database_test.hpp"

#include <cstdlib>

#include "db/migrations.hpp"
#include "db/recommendation_queries.hpp"
#include "postgres_environment.hpp"

namespace recsys::testing {

void DatabaseTest::SetUp() {
  ASSERT_FALSE(PostgresEnvironment::database_url().empty()) << "no PostgreSQL server";
  connection_ = std::make_unique<db::Connection>(PostgresEnvironment::database_url());
  connection_->execute("SET client_min_messages = warning");
  db::Result schemas = connection_->execute(
      "SELECT nspname FROM pg_namespace WHERE nspname ~ '^publication_[0-9]+$'");
  for (int row = 0; row < schemas.rows(); ++row) {
    connection_->execute("DROP SCHEMA " + std::string(schemas.text(row, 0)) + " CASCADE");
  }
  connection_->execute("DROP TABLE IF EXISTS publications, schema_migrations CASCADE");
  db::migrate(*connection_, db::parse_migrations(db::migration_files()));

  char pattern[] = "/tmp/recsys-db-models-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  work_directory_ = pattern;
}

void DatabaseTest::TearDown() {
  std::error_code error;
  std::filesystem::remove_all(work_directory_, error);
}

db::Connection DatabaseTest::connect() {
  db::Connection connection(PostgresEnvironment::database_url());
  db::configure_session(connection);
  return connection;
}

db::PublishResult DatabaseTest::publish(const ModelDirectory& model, const std::string& version,
                                        int keep) {
  db::PublishOptions options;
  options.model_version = version;
  options.run_id = "run-" + version;
  options.source = "test";
  options.keep = keep;
  return db::publish(*connection_, model, options);
}

std::vector<std::string> DatabaseTest::publication_schemas() {
  db::Result result = connection_->execute(
      "SELECT nspname FROM pg_namespace WHERE nspname ~ '^publication_[0-9]+$' ORDER BY 1");
  std::vector<std::string> names;
  for (int row = 0; row < result.rows(); ++row) {
    names.emplace_back(result.text(row, 0));
  }
  return names;
}

}  // namespace recsys::testing
