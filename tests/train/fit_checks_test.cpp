#include "train/fit_checks.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace recsys {
namespace {

using ::testing::HasSubstr;

// Two users (ids 7, 8) and two movies (ids 20, 21) in two dimensions, all values 1.
Embeddings small_embeddings() {
  Embeddings embeddings;
  embeddings.user_ids = {7, 8};
  embeddings.movie_ids = {20, 21};
  embeddings.users = RowMatrix::Ones(2, 2);
  embeddings.movies = RowMatrix::Ones(2, 2);
  return embeddings;
}

std::string check_error(const Embeddings& embeddings, const std::string& model) {
  try {
    check_embeddings(embeddings, model);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CheckEmbeddings, AcceptsFiniteValues) {
  EXPECT_EQ(check_error(small_embeddings(), "als"), "");
}

TEST(CheckEmbeddings, RejectsNanUserValue) {
  Embeddings embeddings = small_embeddings();
  embeddings.users(1, 0) = std::numeric_limits<float>::quiet_NaN();
  const std::string error = check_error(embeddings, "als");
  EXPECT_THAT(error, HasSubstr("embedding of user 8 has the value nan in dimension 0"));
  EXPECT_THAT(error, HasSubstr("lower --alpha"));
}

TEST(CheckEmbeddings, RejectsInfiniteMovieValue) {
  Embeddings embeddings = small_embeddings();
  embeddings.movies(0, 1) = -std::numeric_limits<float>::infinity();
  const std::string error = check_error(embeddings, "mf");
  EXPECT_THAT(error, HasSubstr("the mf model's embedding of movie 20 has the value -inf"));
  EXPECT_THAT(error, HasSubstr("higher --regularization"));
}

TEST(CheckEmbeddings, RejectsScoresThatCouldOverflow) {
  Embeddings embeddings = small_embeddings();
  embeddings.users(0, 0) = 1e20F;
  embeddings.movies(1, 0) = 1e20F;
  const std::string error = check_error(embeddings, "als");
  EXPECT_THAT(error, HasSubstr("scores could overflow a float"));
  EXPECT_THAT(error, HasSubstr("the largest user norm is 1e+20"));
}

TEST(CheckIterationMetrics, AcceptsFiniteLoss) {
  EXPECT_NO_THROW(check_iteration_metrics({{"train_loss", 2.5}}, "als", 3));
}

TEST(CheckIterationMetrics, RejectsNanLoss) {
  try {
    check_iteration_metrics({{"train_loss", std::nan("")}}, "als", 1);
    FAIL() << "accepted train_loss nan";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("the als model's train_loss is nan after iteration 1"));
  }
}

TEST(CheckEmbeddings, RejectsLargeMovieNormAlone) {
  Embeddings embeddings = small_embeddings();
  embeddings.users = RowMatrix::Zero(2, 2);
  embeddings.movies(0, 0) = 2e19F;
  const std::string error = check_error(embeddings, "mf");
  EXPECT_THAT(error, HasSubstr("scores could overflow a float"));
}

}  // namespace
}  // namespace recsys
