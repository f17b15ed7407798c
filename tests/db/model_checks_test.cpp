#include "db/model_checks.hpp"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "database_test.hpp"
#include "db/recommendation_queries.hpp"

namespace recsys::testing {
namespace {

// Publishing a model that publish must reject: each test checks the message and that the
// database still serves the version published before, with no new schema or row.
class ModelChecksTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) {
      return;
    }
    served_ = publish(round_trip(make_test_model({}), work_directory_, "good"), "good");
  }

  // Publishes `model` as version "bad" and returns the error message ("" if none was thrown).
  std::string publish_error(const ModelDirectory& model) {
    try {
      publish(model, "bad");
    } catch (const Error& error) {
      return error.what();
    }
    return "";
  }

  void expect_nothing_written() {
    auto connection = connect();
    auto served = db::served_version(connection);
    ASSERT_TRUE(served.has_value());
    EXPECT_EQ(served->publication_id, served_.publication_id);
    db::Result count = connection_->execute("SELECT count(*) FROM publications");
    EXPECT_EQ(count.int64(0, 0), 1);
    EXPECT_EQ(publication_schemas().size(), 1U);
  }

  db::PublishResult served_;
};

TEST_F(ModelChecksTest, UnknownModelTypeIsRejected) {
  auto model = make_test_model({.seed = 2});
  model.metadata.model_type = "svd++";

  std::string message = publish_error(model);

  EXPECT_NE(message.find("model.json"), std::string::npos) << message;
  EXPECT_NE(message.find("model_type"), std::string::npos) << message;
  EXPECT_NE(message.find("'svd++'"), std::string::npos) << message;
  EXPECT_NE(message.find("als, mf or popularity"), std::string::npos) << message;
  expect_nothing_written();
}

TEST_F(ModelChecksTest, EmptyModelTypeIsRejected) {
  auto model = make_test_model({.seed = 2});
  model.metadata.model_type = "";

  std::string message = publish_error(model);

  EXPECT_NE(message.find("model_type"), std::string::npos) << message;
  EXPECT_NE(message.find("als, mf or popularity"), std::string::npos) << message;
  expect_nothing_written();
}

TEST_F(ModelChecksTest, ModelDirectoryNamesTheFiles) {
  auto model = make_test_model({.seed = 2});
  model.metadata.model_type = "knn";
  db::PublishOptions options;
  options.model_version = "bad";
  options.model_directory = "/models/knn-1";

  try {
    db::publish(*connection_, model, options);
    FAIL() << "publish accepted model_type knn";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("/models/knn-1/model.json"), std::string::npos)
        << error.what();
  }
  expect_nothing_written();
}

// Writes a model directory whose model.json has `edit` applied; returns the directory.
std::filesystem::path write_edited_model(const std::filesystem::path& parent,
                                         const std::function<void(nlohmann::json&)>& edit) {
  std::filesystem::create_directories(parent);
  auto directory = parent / "edited";
  write_model_directory(make_test_model({}), directory);
  nlohmann::json metadata;
  std::ifstream(directory / "model.json") >> metadata;
  edit(metadata);
  std::ofstream(directory / "model.json") << metadata.dump(2);
  return directory;
}

// Read from disk, a model.json without model_type fails with the field and the accepted
// types, and one with an unknown type fails the same way, before read_model_directory runs.
TEST_F(ModelChecksTest, ModelJsonTypeIsCheckedOnRead) {
  auto missing = write_edited_model(work_directory_ / "missing",
                                    [](nlohmann::json& metadata) { metadata.erase("model_type"); });
  try {
    db::read_model_for_publish(missing);
    FAIL() << "a model.json without model_type was accepted";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find((missing / "model.json").string()), std::string::npos) << message;
    EXPECT_NE(message.find("model_type is missing"), std::string::npos) << message;
    EXPECT_NE(message.find("als, mf or popularity"), std::string::npos) << message;
  }

  auto unknown = write_edited_model(work_directory_ / "unknown", [](nlohmann::json& metadata) {
    metadata["model_type"] = "knn";
  });
  try {
    db::read_model_for_publish(unknown);
    FAIL() << "model_type knn was accepted";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find((unknown / "model.json").string()), std::string::npos) << message;
    EXPECT_NE(message.find("'knn'"), std::string::npos) << message;
    EXPECT_NE(message.find("als, mf or popularity"), std::string::npos) << message;
  }

  auto number = write_edited_model(work_directory_ / "number",
                                   [](nlohmann::json& metadata) { metadata["model_type"] = 3; });
  try {
    db::read_model_for_publish(number);
    FAIL() << "a numeric model_type was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("model_type is 3"), std::string::npos) << error.what();
  }

  auto good = write_edited_model(work_directory_ / "good", [](nlohmann::json&) {});
  EXPECT_EQ(db::read_model_for_publish(good).metadata.model_type, "als");
  expect_nothing_written();
}

TEST_F(ModelChecksTest, ModelJsonThatIsDirectoryIsNamed) {
  auto model = write_edited_model(work_directory_ / "directory", [](nlohmann::json&) {});
  std::filesystem::remove(model / "model.json");
  std::filesystem::create_directory(model / "model.json");
  try {
    db::read_model_for_publish(model);
    FAIL() << "a model.json directory was accepted";
  } catch (const InputError& error) {
    EXPECT_EQ(error.file(), (model / "model.json").string());
    EXPECT_NE(std::string(error.what()).find("is a directory"), std::string::npos) << error.what();
  }
  expect_nothing_written();
}

TEST_F(ModelChecksTest, NanEmbeddingNamesFileRowAndValue) {
  auto model = make_test_model({.seed = 2});
  model.embeddings.movies(5, 3) = std::numeric_limits<float>::quiet_NaN();

  std::string message = publish_error(model);

  EXPECT_NE(message.find("movie_embeddings.npy"), std::string::npos) << message;
  EXPECT_NE(message.find("row 5"), std::string::npos) << message;
  EXPECT_NE(message.find("movie 6"), std::string::npos) << message;
  EXPECT_NE(message.find("column 3"), std::string::npos) << message;
  EXPECT_NE(message.find("nan"), std::string::npos) << message;
  EXPECT_NE(message.find("train the model again"), std::string::npos) << message;
  expect_nothing_written();
}

TEST_F(ModelChecksTest, InfiniteUserEmbeddingIsRejected) {
  auto model = make_test_model({.seed = 2});
  model.embeddings.users(7, 0) = -std::numeric_limits<float>::infinity();

  std::string message = publish_error(model);

  EXPECT_NE(message.find("user_embeddings.npy"), std::string::npos) << message;
  EXPECT_NE(message.find("row 7"), std::string::npos) << message;
  EXPECT_NE(message.find("user 1007"), std::string::npos) << message;
  EXPECT_NE(message.find("-inf"), std::string::npos) << message;
  expect_nothing_written();
}

// Every value 1e30 is a finite float32, but each product of two is 1e60, beyond float32, so
// pgvector's inner products would be infinite and the ranking meaningless.
TEST_F(ModelChecksTest, OverflowingScoresAreRejected) {
  auto model = make_test_model({.seed = 2});
  model.embeddings.users.setConstant(1e30F);
  model.embeddings.movies.setConstant(1e30F);

  std::string message = publish_error(model);

  EXPECT_NE(message.find("user_embeddings.npy"), std::string::npos) << message;
  EXPECT_NE(message.find("movie_embeddings.npy"), std::string::npos) << message;
  EXPECT_NE(message.find("row 0"), std::string::npos) << message;
  EXPECT_NE(message.find("4e+30"), std::string::npos) << "the norm of 16 values of 1e30";
  EXPECT_NE(message.find("Train the model again"), std::string::npos) << message;
  expect_nothing_written();
}

// Moderate users but huge movies: user-movie scores stay finite, while the inner products
// between movies that the HNSW build and GET /movies/{id}/similar compute would not.
TEST_F(ModelChecksTest, OverflowingMovieSimilarityIsRejected) {
  auto model = make_test_model({.seed = 2});
  model.embeddings.users /= 1e25F;
  model.embeddings.movies.row(42) *= 1e20F;

  std::string message = publish_error(model);

  EXPECT_NE(message.find("movie_embeddings.npy row 42 (movie 43)"), std::string::npos) << message;
  EXPECT_EQ(message.find("user_embeddings.npy"), std::string::npos) << message;
  expect_nothing_written();
}

// The largest norms that keep every score below FLT_MAX / 2 are published, and pgvector
// returns finite scores for them.
TEST_F(ModelChecksTest, LargeFiniteScoresArePublished) {
  auto model = make_test_model({.dimension = 4, .seed = 2});
  model.embeddings.users.setZero();
  model.embeddings.movies.setZero();
  // Norms of 1e18 for every row: products of 1e36, below FLT_MAX / 2 (about 1.7e38).
  model.embeddings.users.col(0).setConstant(1e18F);
  model.embeddings.movies.col(0).setConstant(1e18F);

  auto result = publish(model, "large");

  EXPECT_EQ(result.outcome, db::PublishOutcome::published);
  auto connection = connect();
  auto served = db::served_version(connection);
  ASSERT_TRUE(served.has_value());
  auto items = db::recommend_for_user(connection, *served, 1000, 5, {});
  ASSERT_FALSE(items.empty());
  for (const auto& item : items) {
    EXPECT_TRUE(std::isfinite(item.score)) << item.score;
    EXPECT_NEAR(item.score, 1e36, 1e30);
  }
}

}  // namespace
}  // namespace recsys::testing
