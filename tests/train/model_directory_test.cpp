#include "train/model_directory.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "core/error.hpp"

namespace recsys {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

ModelDirectory make_model() {
  ModelDirectory model;
  model.metadata.model_type = "als";
  model.metadata.factors = 2;
  model.metadata.dimension = 2;
  model.metadata.hyperparameters = {{"factors", 2}, {"alpha", 0.5}};
  model.metadata.software_version = "0.1.0";
  model.metadata.git_commit = "abc";
  model.metadata.created_at = "2026-01-01T00:00:00Z";
  model.metadata.dataset_name = "ml-100k";
  model.metadata.dataset_fingerprint = "sha256:00";
  model.metadata.split = "u1";
  model.embeddings.user_ids = {1, 2};
  model.embeddings.movie_ids = {10, 20, 30};
  model.embeddings.users.resize(2, 2);
  model.embeddings.users << 1, 2, 3, 4;
  model.embeddings.movies.resize(3, 2);
  model.embeddings.movies << 0.5F, 0.25F, -1, 2, 7, 8;
  model.train_ratings = {{0, 1}, {1, 2}};
  model.metrics = {{"ndcg_at_10", 0.5}};
  model.evaluation = {{"k", 10}};
  Movie movie;
  movie.id = 10;
  movie.title = "Misérables, Les (1995)";
  movie.year = 1995;
  movie.genres = {"Drama"};
  model.movies = {movie};
  model.users = {User{1, 24, "M", "technician", "85711"}};
  model.genres = {"Drama"};
  return model;
}

class ModelDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("model-dir-test-" + std::to_string(::getpid()));
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
};

TEST_F(ModelDirectoryTest, RoundTrip) {
  const ModelDirectory model = make_model();
  write_model_directory(model, root_ / "model");

  const ModelDirectory read = read_model_directory(root_ / "model");

  EXPECT_EQ(read.metadata.model_type, "als");
  EXPECT_EQ(read.metadata.dataset_fingerprint, "sha256:00");
  EXPECT_EQ(read.embeddings.user_ids, model.embeddings.user_ids);
  EXPECT_EQ(read.embeddings.movie_ids, model.embeddings.movie_ids);
  EXPECT_TRUE(read.embeddings.users.isApprox(model.embeddings.users));
  EXPECT_TRUE(read.embeddings.movies.isApprox(model.embeddings.movies));
  EXPECT_EQ(read.train_ratings, model.train_ratings);
  EXPECT_EQ(read.metrics, model.metrics);
  ASSERT_EQ(read.movies.size(), 1U);
  EXPECT_EQ(read.movies[0].title, "Misérables, Les (1995)");
  EXPECT_EQ(read.movies[0].year, 1995);
  ASSERT_EQ(read.users.size(), 1U);
  EXPECT_EQ(read.users[0].occupation, "technician");
  EXPECT_EQ(read.genres, model.genres);
}

TEST_F(ModelDirectoryTest, RejectsNonEmptyOutput) {
  fs::create_directories(root_ / "model");
  std::ofstream(root_ / "model" / "other") << "x";
  EXPECT_THROW(write_model_directory(make_model(), root_ / "model"), Error);
}

TEST_F(ModelDirectoryTest, InconsistentModelLeavesNothing) {
  ModelDirectory model = make_model();
  model.train_ratings.emplace_back(5, 0);  // User row 5 does not exist.

  EXPECT_THROW(write_model_directory(model, root_ / "model"), Error);

  EXPECT_FALSE(fs::exists(root_ / "model"));
  EXPECT_TRUE(fs::is_empty(root_));
}

TEST_F(ModelDirectoryTest, MissingFileIsNamed) {
  write_model_directory(make_model(), root_ / "model");
  fs::remove(root_ / "model" / "id_maps.json");
  try {
    read_model_directory(root_ / "model");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("id_maps.json"), std::string::npos) << e.what();
  }
}

TEST_F(ModelDirectoryTest, RejectsShapeMismatch) {
  ModelDirectory model = make_model();
  write_model_directory(model, root_ / "model");
  // Replace the user ids with three ids for two embedding rows.
  std::ofstream(root_ / "model" / "id_maps.json")
      << R"({"user_ids": [1, 2, 3], "movie_ids": [10, 20, 30]})";
  EXPECT_THROW(read_model_directory(root_ / "model"), Error);
}

TEST_F(ModelDirectoryTest, RejectsNonIntegerFields) {
  // Each case rewrites one field of one file. The error must name the field and the value.
  struct Case {
    const char* file;
    const char* key;
    json value;
    const char* expected_text;  // How the error message prints the value.
  };
  const std::vector<Case> cases = {
      {"model.json", "dimension", 2.5, "2.5"},
      {"model.json", "factors", -2, "-2"},
      {"catalog/movies.json", "year", 1e12, "1000000000000.0"},
      {"catalog/movies.json", "movie_id", "10", "\"10\""},
      {"catalog/users.json", "age", 24.5, "24.5"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.file) + " " + c.key);
    fs::remove_all(root_ / "model");
    write_model_directory(make_model(), root_ / "model");
    const fs::path file = root_ / "model" / c.file;
    json content = json::parse(std::ifstream(file));
    json& target = content.is_array() ? content[0] : content;
    target[c.key] = c.value;
    std::ofstream(file, std::ios::trunc) << content.dump();
    try {
      read_model_directory(root_ / "model");
      ADD_FAILURE() << "expected an error";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(std::string("'") + c.key + "'"), std::string::npos) << message;
      EXPECT_NE(message.find(c.expected_text), std::string::npos) << message;
      EXPECT_NE(message.find(file.filename().string()), std::string::npos) << message;
    }
  }
}

}  // namespace
}  // namespace recsys
