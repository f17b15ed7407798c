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
