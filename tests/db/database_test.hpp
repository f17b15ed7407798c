#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "db/connection.hpp"
#include "db/publisher.hpp"
#include "test_models.hpp"

namespace recsys::testing {

// A test on an empty, migrated recsys database: SetUp drops every recsys table and
// publication schema, then applies the migrations. Model directories go to a temporary
// directory removed by TearDown.
class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Opens a new connection with the HNSW session settings of the service.
  db::Connection connect();

  // Publishes `model` as `version` with default options (keep 3).
  db::PublishResult publish(const ModelDirectory& model, const std::string& version, int keep = 3);

  // Returns the names of the schemas "publication_<id>" in the database, sorted.
  std::vector<std::string> publication_schemas();

  std::unique_ptr<db::Connection> connection_;
  std::filesystem::path work_directory_;
};

}  // namespace recsys::testing
