#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "child_process.hpp"
#include "core/npy.hpp"
#include "service_environment.hpp"

namespace recsys::testing {
namespace {

namespace fs = std::filesystem;

// `recsys publish --model-dir` on model directories edited on disk: the command must fail
// with exit code 1 and a message naming the file, and write nothing to the database.
class PublishCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& environment = ServiceEnvironment::get();
    environment.publish(environment.model_directory("als"), "1");
    status_before_ = status();
  }

  // Copies the trained ALS model to a new directory named `name` and returns it.
  fs::path copy_model(const std::string& name) {
    auto& environment = ServiceEnvironment::get();
    auto directory = environment.work_directory() / name;
    fs::remove_all(directory);
    fs::copy(environment.model_directory("als"), directory, fs::copy_options::recursive);
    return directory;
  }

  CommandResult publish(const fs::path& directory) {
    return run_command({recsys_binary(), "publish", "--database-url",
                        ServiceEnvironment::get().database_url(), "--model-dir", directory.string(),
                        "--model-name", kModelName, "--model-version", "bad"});
  }

  std::string status() {
    auto result = run_command({recsys_binary(), "db", "status", "--database-url",
                               ServiceEnvironment::get().database_url()});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return result.output;
  }

  std::string status_before_;
};

TEST_F(PublishCommand, ModelJsonWithoutTypeIsRejected) {
  auto directory = copy_model("no-model-type");
  nlohmann::json metadata;
  std::ifstream(directory / "model.json") >> metadata;
  metadata.erase("model_type");
  std::ofstream(directory / "model.json") << metadata.dump(2);

  auto result = publish(directory);

  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find((directory / "model.json").string()), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("model_type is missing"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("als, mf or popularity"), std::string::npos) << result.output;
  EXPECT_EQ(status(), status_before_);
}

TEST_F(PublishCommand, ModelJsonThatIsDirectoryIsRejected) {
  auto directory = copy_model("model-json-directory");
  fs::remove(directory / "model.json");
  fs::create_directory(directory / "model.json");

  // Without --model-version publish hashes the files first, so both paths are checked.
  for (auto result :
       {publish(directory), run_command({recsys_binary(), "publish", "--database-url",
                                         ServiceEnvironment::get().database_url(), "--model-dir",
                                         directory.string(), "--model-name", kModelName})}) {
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find((directory / "model.json").string() + ": is a directory"),
              std::string::npos)
        << result.output;
  }
  EXPECT_EQ(status(), status_before_);
}

// Without --model-version publish names the version by the hash of the files it reads, so an
// edited catalog is a new version. No server listens on the port: the log names the version
// before the connection fails.
TEST(PublishVersionId, HashCoversCatalog) {
  auto& environment = ServiceEnvironment::get();
  const fs::path directory = environment.work_directory() / "catalog-hash";
  fs::remove_all(directory);
  fs::copy(environment.model_directory("als"), directory, fs::copy_options::recursive);
  const auto version_of = [&directory] {
    const std::string url =
        "postgresql://nobody@127.0.0.1:" + std::to_string(free_loopback_port()) + "/none";
    auto result = run_command({recsys_binary(), "publish", "--database-url", url, "--model-dir",
                               directory.string(), "--model-name", kModelName});
    EXPECT_EQ(result.exit_code, 1) << result.output;
    const std::string marker = "publishing " + std::string(kModelName) + " version ";
    const std::size_t start = result.output.find(marker);
    EXPECT_NE(start, std::string::npos) << result.output;
    return start == std::string::npos
               ? std::string()
               : result.output.substr(start + marker.size(), std::string("local-").size() + 12);
  };

  const std::string original = version_of();
  EXPECT_EQ(original.rfind("local-", 0), 0U) << original;
  EXPECT_EQ(version_of(), original);

  nlohmann::json movies;
  std::ifstream(directory / "catalog" / "movies.json") >> movies;
  ASSERT_FALSE(movies.empty());
  movies[0]["title"] = "Edited Title (1995)";
  std::ofstream(directory / "catalog" / "movies.json") << movies.dump(2);
  const std::string edited = version_of();
  EXPECT_EQ(edited.rfind("local-", 0), 0U) << edited;
  EXPECT_NE(edited, original);
}

TEST_F(PublishCommand, UnknownModelTypeIsRejected) {
  auto directory = copy_model("unknown-model-type");
  nlohmann::json metadata;
  std::ifstream(directory / "model.json") >> metadata;
  metadata["model_type"] = "svd";
  std::ofstream(directory / "model.json") << metadata.dump(2);

  auto result = publish(directory);

  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find((directory / "model.json").string()), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("model_type is 'svd'"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("als, mf or popularity"), std::string::npos) << result.output;
  EXPECT_EQ(status(), status_before_);
}

// Values of 1e30 are finite float32, but their inner products (1e60 per term) are not.
TEST_F(PublishCommand, OverflowingEmbeddingsAreRejected) {
  auto directory = copy_model("overflowing");
  for (const char* name : {"user_embeddings.npy", "movie_embeddings.npy"}) {
    auto embeddings = read_npy_float32(directory / name);
    std::fill(embeddings.values.begin(), embeddings.values.end(), 1e30F);
    write_npy(directory / name, embeddings);
  }

  auto result = publish(directory);

  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find((directory / "user_embeddings.npy").string() + " row 0"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find((directory / "movie_embeddings.npy").string() + " row 0"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("Train the model again"), std::string::npos) << result.output;
  EXPECT_EQ(status(), status_before_);
}

TEST_F(PublishCommand, InfiniteEmbeddingIsRejected) {
  auto directory = copy_model("infinite");
  auto movies = read_npy_float32(directory / "movie_embeddings.npy");
  movies.values[static_cast<std::size_t>(3 * movies.columns + 1)] =
      std::numeric_limits<float>::infinity();
  write_npy(directory / "movie_embeddings.npy", movies);

  auto result = publish(directory);

  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find((directory / "movie_embeddings.npy").string() + " row 3"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("column 1 is inf"), std::string::npos) << result.output;
  EXPECT_EQ(status(), status_before_);
}

}  // namespace
}  // namespace recsys::testing
