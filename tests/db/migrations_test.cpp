#include "db/migrations.hpp"

#include <gtest/gtest.h>

#include <cstdio>

#include "database_test.hpp"

namespace recsys::testing {
namespace {

using MigrationsTest = DatabaseTest;

TEST_F(MigrationsTest, SecondRunAppliesNothing) {
  auto migrations = db::parse_migrations(db::migration_files());
  auto report = db::migrate(*connection_, migrations);

  EXPECT_TRUE(report.applied.empty());
  EXPECT_EQ(report.already_applied, static_cast<int>(migrations.size()));
  db::Result rows = connection_->execute("SELECT count(*) FROM schema_migrations");
  EXPECT_EQ(rows.int64(0, 0), static_cast<std::int64_t>(migrations.size()));
  EXPECT_NO_THROW(db::require_migrated(*connection_, migrations));
}

TEST_F(MigrationsTest, FirstRunAppliesEveryFileInOrder) {
  connection_->execute("DROP TABLE publications, schema_migrations");
  auto migrations = db::parse_migrations(db::migration_files());
  auto report = db::migrate(*connection_, migrations);

  ASSERT_EQ(report.applied.size(), migrations.size());
  EXPECT_EQ(report.applied.front(), "0001_publications.sql");
  EXPECT_EQ(report.already_applied, 0);
  db::Result table = connection_->execute("SELECT to_regclass('publications') IS NOT NULL");
  EXPECT_EQ(table.text(0, 0), "t");
}

TEST_F(MigrationsTest, ChangedMigrationIsAnError) {
  connection_->execute("UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 1");
  auto migrations = db::parse_migrations(db::migration_files());

  try {
    db::migrate(*connection_, migrations);
    FAIL() << "migrate accepted a changed migration";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("changed after it was applied"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(db::require_migrated(*connection_, migrations), Error);
}

TEST_F(MigrationsTest, UnknownAppliedVersionIsAnError) {
  connection_->execute(
      "INSERT INTO schema_migrations (version, name, checksum) VALUES (999, '0999_x.sql', 'x')");
  EXPECT_THROW(db::migrate(*connection_, db::parse_migrations(db::migration_files())), Error);
}

TEST_F(MigrationsTest, FailedMigrationLeavesNoTrace) {
  auto migrations = db::parse_migrations(db::migration_files());
  auto files = db::migration_files();
  char name[32];
  std::snprintf(name, sizeof name, "%04zu_broken.sql", files.size() + 1);
  files.push_back({name, "CREATE TABLE half_done (id integer); SELECT no_such_function();"});
  auto with_broken = db::parse_migrations(files);

  EXPECT_THROW(db::migrate(*connection_, with_broken), db::DatabaseError);
  db::Result table = connection_->execute("SELECT to_regclass('half_done') IS NULL");
  EXPECT_EQ(table.text(0, 0), "t") << "the failed migration's table was kept";
  db::Result rows = connection_->execute("SELECT count(*) FROM schema_migrations");
  EXPECT_EQ(rows.int64(0, 0), static_cast<std::int64_t>(migrations.size()));
}

TEST(MigrationFiles, NamesMustBeNumberedWithoutGaps) {
  EXPECT_THROW(db::parse_migrations({{"0001_a.sql", ""}, {"0003_c.sql", ""}}), Error);
  EXPECT_THROW(db::parse_migrations({{"0001_a.sql", ""}, {"0001_b.sql", ""}}), Error);
  EXPECT_THROW(db::parse_migrations({{"1_a.sql", ""}}), Error);
  EXPECT_THROW(db::parse_migrations({{"0001_A.sql", ""}}), Error);
  auto parsed = db::parse_migrations({{"0001_a.sql", "SELECT 1"}, {"0002_b.sql", "SELECT 2"}});
  ASSERT_EQ(parsed.size(), 2U);
  EXPECT_EQ(parsed[1].version, 2);
  EXPECT_EQ(parsed[0].checksum.size(), 64U);
  EXPECT_NE(parsed[0].checksum, parsed[1].checksum);
}

TEST(MigrationFiles, BundledFilesParse) {
  auto migrations = db::parse_migrations(db::migration_files());
  ASSERT_FALSE(migrations.empty());
  EXPECT_EQ(migrations.front().name, "0001_publications.sql");
}

}  // namespace
}  // namespace recsys::testing
