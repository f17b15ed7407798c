#include "tracking/file_model_registry.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "test_util.hpp"
#include "tracking/mlflow_error.hpp"

namespace recsys::tracking {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::TempDirectory;

std::string replace_timestamps(std::string yaml) {
  return std::regex_replace(yaml, std::regex("(timestamp): \\d+"), "$1: T");
}

TEST(FileModelRegistry, WritesRegisteredModelAndVersionLikeMlflow) {
  TempDirectory temp;
  FileModelRegistry registry(temp.path());
  registry.create_registered_model("movielens-recommender");
  const ModelVersion version =
      registry.create_model_version("movielens-recommender", "file:///runs/abc/artifacts/model",
                                    "abc", {{"recsys.split", "random-80-20"}});

  EXPECT_EQ(version.version, "1");
  const fs::path model = temp.path() / "models" / "movielens-recommender";
  EXPECT_EQ(replace_timestamps(read_file(model / "meta.yaml")),
            "aliases: {}\n"
            "creation_timestamp: T\n"
            "description: null\n"
            "last_updated_timestamp: T\n"
            "name: movielens-recommender\n");
  EXPECT_EQ(replace_timestamps(read_file(model / "version-1" / "meta.yaml")),
            "aliases: []\n"
            "creation_timestamp: T\n"
            "current_stage: None\n"
            "description: null\n"
            "last_updated_timestamp: T\n"
            "name: movielens-recommender\n"
            "run_id: abc\n"
            "run_link: null\n"
            "source: file:///runs/abc/artifacts/model\n"
            "status: READY\n"
            "status_message: null\n"
            "storage_location: file:///runs/abc/artifacts/model\n"
            "user_id: null\n"
            "version: 1\n");
  EXPECT_EQ(read_file(model / "version-1" / "tags" / "recsys.split"), "random-80-20");
}

TEST(FileModelRegistry, ReadingMissingRegistryCreatesNothing) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  FileModelRegistry registry(root);

  EXPECT_TRUE(registry.search_model_versions("").empty());
  EXPECT_TRUE(registry.search_model_versions("movielens-recommender").empty());
  EXPECT_TRUE(registry.search_model_versions_of_run("0123456789abcdef").empty());
  EXPECT_FALSE(registry.get_registered_model("movielens-recommender").has_value());
  try {
    registry.get_model_version_by_alias("movielens-recommender", "champion");
    FAIL() << "an alias was found in a registry that does not exist";
  } catch (const MlflowError& error) {
    EXPECT_EQ(error.error_code(), kResourceDoesNotExist);
    EXPECT_NE(std::string(error.what()).find(root.string()), std::string::npos) << error.what();
  }
  EXPECT_FALSE(fs::exists(root)) << "a read created the store";
}

TEST(FileModelRegistry, FirstModelCreatesStoreLayout) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  FileModelRegistry registry(root);
  registry.create_registered_model("movielens-recommender");

  EXPECT_TRUE(fs::exists(root / "0" / "meta.yaml")) << "no Default experiment";
  EXPECT_TRUE(fs::exists(root / "models" / "movielens-recommender" / "meta.yaml"));
}

TEST(FileModelRegistry, NumbersVersionsAndSetsAliases) {
  TempDirectory temp;
  FileModelRegistry registry(temp.path());
  registry.create_registered_model("m");
  registry.create_model_version("m", "file:///a", "run1", {});
  registry.create_model_version("m", "file:///b", "run2", {});
  registry.set_registered_model_alias("m", "champion", "2");

  const fs::path model = temp.path() / "models" / "m";
  EXPECT_EQ(read_file(model / "aliases" / "champion"), "2");
  EXPECT_NE(read_file(model / "meta.yaml").find("aliases:\n  champion: '2'\n"), std::string::npos);
  const ModelVersion champion = registry.get_model_version_by_alias("m", "champion");
  EXPECT_EQ(champion.version, "2");
  EXPECT_EQ(champion.source, "file:///b");
  EXPECT_EQ(champion.aliases, std::vector<std::string>{"champion"});

  const auto versions = registry.search_model_versions("m");
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].version, "2");
  EXPECT_EQ(versions[1].version, "1");
  EXPECT_EQ(registry.get_registered_model("m")->aliases.at("champion"), "2");
}

TEST(FileModelRegistry, RejectsNameClash) {
  TempDirectory temp;
  FileModelRegistry registry(temp.path());
  registry.create_registered_model("m");
  try {
    registry.create_registered_model("m");
    FAIL() << "a duplicate registered model was created";
  } catch (const MlflowError& error) {
    EXPECT_EQ(error.error_code(), kResourceAlreadyExists);
  }
}

TEST(FileModelRegistry, DeletedVersionDropsItsAliases) {
  TempDirectory temp;
  FileModelRegistry registry(temp.path());
  registry.create_registered_model("m");
  registry.create_model_version("m", "file:///a", "run1", {});
  registry.set_registered_model_alias("m", "champion", "1");
  registry.delete_model_version("m", "1");

  EXPECT_FALSE(fs::exists(temp.path() / "models" / "m" / "aliases" / "champion"));
  EXPECT_NE(read_file(temp.path() / "models" / "m" / "version-1" / "meta.yaml")
                .find("current_stage: Deleted_Internal\n"),
            std::string::npos);
  EXPECT_TRUE(registry.search_model_versions("m").empty());
  EXPECT_THROW(registry.get_model_version("m", "1"), MlflowError);
  // The next version does not reuse the deleted number.
  EXPECT_EQ(registry.create_model_version("m", "file:///b", "run2", {}).version, "2");
}

TEST(FileModelRegistry, AliasOnDeletedVersionIsClearError) {
  TempDirectory temp;
  FileModelRegistry registry(temp.path());
  registry.create_registered_model("m");
  registry.create_model_version("m", "file:///a", "run1", {});
  registry.set_registered_model_alias("m", "champion", "1");
  // Another tool removed the version and left the alias behind.
  fs::remove_all(temp.path() / "models" / "m" / "version-1");

  try {
    registry.get_model_version_by_alias("m", "champion");
    FAIL() << "a dangling alias resolved";
  } catch (const MlflowError& error) {
    EXPECT_EQ(error.error_code(), kResourceDoesNotExist);
    EXPECT_NE(std::string(error.what()).find("points at version 1"), std::string::npos);
  }
}

TEST(FileModelRegistry, RejectsReservedAliases) {
  TempDirectory temp;
  FileModelRegistry registry(temp.path());
  registry.create_registered_model("m");
  registry.create_model_version("m", "file:///a", "run1", {});
  for (const std::string alias : {"latest", "v1", "bad/alias", ""}) {
    EXPECT_THROW(registry.set_registered_model_alias("m", alias, "1"), MlflowError) << alias;
  }
  EXPECT_THROW(registry.set_registered_model_alias("m", "champion", "7"), MlflowError);
}

}  // namespace
}  // namespace recsys::tracking
