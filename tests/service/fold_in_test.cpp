#include "inference/fold_in.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <numeric>
#include <random>

#include "core/error.hpp"
#include "test_models.hpp"
#include "train/rating_matrix.hpp"
#include "train/recommender.hpp"

namespace recsys::inference {
namespace {

RowMatrix random_movies(Eigen::Index rows, Eigen::Index columns, unsigned seed) {
  std::mt19937 random(seed);
  std::normal_distribution<float> normal(0.0F, 0.5F);
  RowMatrix movies(rows, columns);
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (Eigen::Index j = 0; j < columns; ++j) {
      movies(i, j) = normal(random);
    }
  }
  return movies;
}

std::vector<std::int64_t> ids(std::size_t count) {
  std::vector<std::int64_t> values(count);
  std::iota(values.begin(), values.end(), 1);
  return values;
}

// The implicit ALS user step written over every movie, C and p dense:
// x = (Y^T C Y + lambda I)^-1 Y^T C p.
TEST(FoldIn, AlsMatchesTheDenseNormalEquations) {
  const RowMatrix movies = random_movies(30, 4, 1);
  const double regularization = 0.7;
  const double alpha = 3.0;
  auto model = make_fold_in_model(
      "als", {{"factors", 4}, {"regularization", regularization}, {"alpha", alpha}}, 4, ids(30),
      movies, 0.0);
  std::vector<std::pair<std::int64_t, double>> ratings = {{2, 5.0}, {9, 3.0}, {30, 1.0}};

  Eigen::MatrixXd y = movies.cast<double>();
  Eigen::VectorXd confidence = Eigen::VectorXd::Ones(30);
  Eigen::VectorXd preference = Eigen::VectorXd::Zero(30);
  for (const auto& [movie_id, rating] : ratings) {
    confidence(movie_id - 1) = 1.0 + alpha * rating;
    preference(movie_id - 1) = 1.0;
  }
  Eigen::MatrixXd normal = y.transpose() * confidence.asDiagonal() * y;
  normal.diagonal().array() += regularization;
  Eigen::VectorXd expected =
      normal.ldlt().solve(y.transpose() * confidence.asDiagonal() * preference);

  auto actual = fold_in_user(model, ratings);
  ASSERT_EQ(actual.size(), 4U);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(actual[static_cast<std::size_t>(i)], expected(i), 1e-5) << i;
  }
}

TEST(FoldIn, AlsUsesLogConfidenceWhenConfigured) {
  const RowMatrix movies = random_movies(10, 3, 2);
  auto linear = make_fold_in_model("als", {{"factors", 3}, {"alpha", 1.0}}, 3, ids(10), movies, 0);
  auto logarithmic = make_fold_in_model(
      "als", {{"factors", 3}, {"alpha", 1.0}, {"confidence", "log"}}, 3, ids(10), movies, 0);
  std::vector<std::pair<std::int64_t, double>> ratings = {{1, 5.0}, {2, 4.0}};
  EXPECT_NE(fold_in_user(linear, ratings), fold_in_user(logarithmic, ratings));
}

// The mf fold-in minimizes sum (r - mu - b_i - p.q_i - b_u)^2 + n lambda |p|^2 + n
// lambda_b b_u^2; its gradient must vanish at the returned (p, b_u).
TEST(FoldIn, MfSolvesTheWeightedRidgeRegression) {
  const int factors = 3;
  RowMatrix movies = random_movies(12, factors + 2, 3);
  movies.col(factors).setOnes();  // Movie embeddings are [q_i, 1, b_i].
  const double mean = 3.6;
  const double lambda = 0.2;
  const double lambda_bias = 0.05;
  auto model = make_fold_in_model("mf",
                                  {{"factors", factors},
                                   {"regularization", lambda},
                                   {"bias_regularization", lambda_bias},
                                   {"weighted_regularization", true}},
                                  factors + 2, ids(12), movies, mean);
  std::vector<std::pair<std::int64_t, double>> ratings = {{1, 5.0}, {4, 2.0}, {7, 4.0}, {12, 3.0}};

  auto user = fold_in_user(model, ratings);
  ASSERT_EQ(user.size(), static_cast<std::size_t>(factors + 2));
  EXPECT_FLOAT_EQ(user[factors + 1], 1.0F);
  Eigen::VectorXd p(factors);
  for (int i = 0; i < factors; ++i) {
    p(i) = user[static_cast<std::size_t>(i)];
  }
  const double bias = user[factors] - mean;

  const double n = static_cast<double>(ratings.size());
  Eigen::VectorXd gradient_p = n * lambda * p;
  double gradient_bias = n * lambda_bias * bias;
  for (const auto& [movie_id, rating] : ratings) {
    auto movie = movies.row(movie_id - 1).cast<double>();
    Eigen::VectorXd q = movie.head(factors).transpose();
    double residual = rating - mean - movie(factors + 1) - p.dot(q) - bias;
    gradient_p -= residual * q;
    gradient_bias -= residual;
  }
  EXPECT_LT(gradient_p.norm(), 1e-4);
  EXPECT_LT(std::abs(gradient_bias), 1e-4);

  // The folded user scores movie i as mu + b_u + b_i + p . q_i.
  Eigen::VectorXf folded = Eigen::Map<const Eigen::VectorXf>(user.data(), factors + 2);
  double score = movies.row(0).dot(folded);
  double expected = mean + bias + movies(0, factors + 1) +
                    p.dot(movies.row(0).head(factors).cast<double>().transpose());
  EXPECT_NEAR(score, expected, 1e-4);
}

TEST(FoldIn, PopularityGivesEveryoneTheSameVector) {
  RowMatrix counts(3, 1);
  counts << 5, 50, 7;
  auto model = make_fold_in_model("popularity", nlohmann::json::object(), 1, ids(3), counts, 0);
  EXPECT_EQ(fold_in_user(model, {{1, 5.0}}), std::vector<float>{1.0F});
}

TEST(FoldIn, SkipsMoviesWithoutEmbedding) {
  const RowMatrix movies = random_movies(5, 2, 4);
  auto model = make_fold_in_model("als", {{"factors", 2}}, 2, ids(5), movies, 0);
  EXPECT_EQ(fold_in_user(model, {{1, 4.0}, {99, 5.0}}), fold_in_user(model, {{1, 4.0}}));
}

TEST(FoldIn, RejectsInconsistentModels) {
  const RowMatrix movies = random_movies(5, 2, 5);
  EXPECT_THROW(make_fold_in_model("bpr", {}, 2, ids(5), movies, 0), Error);
  EXPECT_THROW(make_fold_in_model("als", {{"factors", 3}}, 2, ids(5), movies, 0), Error);
  EXPECT_THROW(make_fold_in_model("als", {{"factors", 2}}, 2, ids(4), movies, 0), Error);
  EXPECT_THROW(make_fold_in_model("als", {{"factors", 2}, {"unknown", 1}}, 2, ids(5), movies, 0),
               Error);
  EXPECT_THROW(make_fold_in_model("mf", {{"factors", 2}}, 2, ids(5), movies, 0), Error);
  // The mf layout [q_i, 1, b_i] needs its column of ones.
  const RowMatrix without_ones = random_movies(5, 4, 6);
  EXPECT_THROW(make_fold_in_model("mf", {{"factors", 2}}, 4, ids(5), without_ones, 0), Error);
}

// A user's own training ratings, folded in against the trained movies, must land close to the
// user's trained embedding: the fold-in is the same least-squares step training ends with.
TEST(FoldIn, AlsRecoversATrainedUser) {
  auto dataset = testing::make_synthetic_dataset();
  const CatalogIds catalog = catalog_ids(dataset);
  const RatingMatrix matrix = build_rating_matrix(dataset.ratings, catalog);
  nlohmann::json hyperparameters = {{"factors", 8},     {"regularization", 0.5}, {"alpha", 2.0},
                                    {"iterations", 30}, {"solver", "cholesky"},  {"threads", 1}};
  auto trained = make_recommender("als", hyperparameters)->fit(matrix, {});
  auto model = make_fold_in_model("als", hyperparameters, 8, trained.movie_ids, trained.movies, 0);

  for (std::int64_t user_id : {1, 50, 101}) {
    std::vector<std::pair<std::int64_t, double>> ratings;
    for (const auto& [movie_id, rating] : testing::ratings_of(dataset.ratings, user_id)) {
      ratings.emplace_back(movie_id, rating);
    }
    auto folded = fold_in_user(model, ratings);
    Eigen::VectorXf x = Eigen::Map<const Eigen::VectorXf>(folded.data(), 8);
    auto row = std::find(trained.user_ids.begin(), trained.user_ids.end(), user_id) -
               trained.user_ids.begin();
    Eigen::VectorXf expected = trained.users.row(row).transpose();
    EXPECT_LT((x - expected).norm(), 0.05 * expected.norm()) << "user " << user_id;
  }
}

}  // namespace
}  // namespace recsys::inference
