#include "train/biased_mf.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "train_test_support.hpp"

namespace recsys::test {
namespace {

// Ratings that a rank-2 biased model generates exactly; every fourth pair is held out.
struct PlantedRatings {
  std::vector<Rating> train;
  std::vector<Rating> held_out;
  CatalogIds catalog;
};

PlantedRatings planted_ratings() {
  PlantedRatings data;
  std::mt19937_64 random(5);
  std::normal_distribution<float> normal(0.0F, 0.5F);
  const int users = 60;
  const int movies = 40;
  std::vector<float> user_bias(users), movie_bias(movies);
  std::vector<std::array<float, 2>> p(users), q(movies);
  for (int u = 0; u < users; ++u) {
    user_bias[u] = normal(random);
    p[u] = {normal(random), normal(random)};
    data.catalog.user_ids.push_back(u + 1);
  }
  for (int i = 0; i < movies; ++i) {
    movie_bias[i] = normal(random);
    q[i] = {normal(random), normal(random)};
    data.catalog.movie_ids.push_back(i + 1);
  }
  for (int u = 0; u < users; ++u) {
    for (int i = 0; i < movies; ++i) {
      const float rating =
          3.5F + user_bias[u] + movie_bias[i] + p[u][0] * q[i][0] + p[u][1] * q[i][1];
      (((u + i) % 4 == 0) ? data.held_out : data.train).push_back({u + 1, i + 1, rating, 0});
    }
  }
  return data;
}

// The ALS solver with almost no regularization, so that it recovers the planted model.
BiasedMfOptions small_mf_options() {
  BiasedMfOptions options;
  options.solver = "als";
  options.factors = 2;
  options.regularization = 0.0001;
  options.bias_regularization = 0.0001;
  options.iterations = 30;
  options.threads = 2;
  return options;
}

TEST(BiasedMf, PredictionIsFoldedDotProduct) {
  const PlantedRatings data = planted_ratings();
  const RatingMatrix matrix = build_rating_matrix(data.train, data.catalog);
  const Embeddings embeddings = BiasedMf(small_mf_options()).fit(matrix, nullptr);

  // user = [p_u, b_u + mu, 1] and movie = [q_i, 1, b_i].
  ASSERT_EQ(embeddings.users.cols(), 4);
  ASSERT_EQ(embeddings.movies.cols(), 4);
  EXPECT_TRUE((embeddings.users.col(3).array() == 1.0F).all());
  EXPECT_TRUE((embeddings.movies.col(2).array() == 1.0F).all());

  // The dot product predicts the held-out ratings of the planted model.
  double squared_error = 0.0;
  for (const Rating& rating : data.held_out) {
    const auto u = static_cast<Eigen::Index>(rating.user_id - 1);
    const auto i = static_cast<Eigen::Index>(rating.movie_id - 1);
    const double prediction = embeddings.users.row(u).dot(embeddings.movies.row(i));
    const double folded = embeddings.users.row(u).head(2).dot(embeddings.movies.row(i).head(2)) +
                          embeddings.users(u, 2) + embeddings.movies(i, 3);
    EXPECT_NEAR(prediction, folded, 1e-4);
    squared_error += (prediction - rating.rating) * (prediction - rating.rating);
  }
  EXPECT_LT(std::sqrt(squared_error / static_cast<double>(data.held_out.size())), 0.05);
}

TEST(BiasedMf, UserWithoutRatingsGetsMeanPlusMovieBias) {
  PlantedRatings data = planted_ratings();
  data.catalog.user_ids.push_back(1000);
  const RatingMatrix matrix = build_rating_matrix(data.train, data.catalog);

  double mean = 0.0;
  for (const Rating& rating : data.train) {
    mean += rating.rating;
  }
  mean /= static_cast<double>(data.train.size());

  BiasedMfOptions gibbs = small_mf_options();
  gibbs.solver = "gibbs";
  gibbs.burn_in = 5;
  gibbs.samples = 5;
  for (const BiasedMfOptions& options : {small_mf_options(), gibbs}) {
    SCOPED_TRACE(options.solver);
    const Embeddings embeddings = BiasedMf(options).fit(matrix, nullptr);
    const auto last = embeddings.users.rows() - 1;
    EXPECT_EQ(embeddings.user_ids.back(), 1000);
    EXPECT_EQ(embeddings.users.row(last).head(2).squaredNorm(), 0.0F);
    EXPECT_NEAR(embeddings.users(last, 2), mean, 1e-5);
    ASSERT_TRUE(embeddings.mean_rating.has_value());
    EXPECT_NEAR(*embeddings.mean_rating, mean, 1e-5);
  }
}

TEST(BiasedMf, ObjectiveDecreasesEveryIteration) {
  PlantedRatings data = planted_ratings();
  // Noise so that the objective does not reach zero.
  std::mt19937_64 random(9);
  std::normal_distribution<float> noise(0.0F, 0.3F);
  for (Rating& rating : data.train) {
    rating.rating += noise(random);
  }
  const RatingMatrix matrix = build_rating_matrix(data.train, data.catalog);
  BiasedMfOptions options = small_mf_options();
  options.regularization = 0.05;
  options.iterations = 10;
  std::vector<double> losses;
  BiasedMf(options).fit(matrix, [&](const TrainingProgress& progress) {
    losses.push_back(progress.metrics.at("train_loss"));
    EXPECT_GT(progress.metrics.at("train_rmse"), 0.0);
  });
  ASSERT_EQ(losses.size(), 10U);
  for (std::size_t k = 1; k < losses.size(); ++k) {
    EXPECT_LE(losses[k], losses[k - 1]) << "iteration " << k + 1;
  }
  EXPECT_LT(losses.back(), losses.front());
}

TEST(BiasedMf, DeterministicAcrossRunsAndThreads) {
  const PlantedRatings data = planted_ratings();
  const RatingMatrix matrix = build_rating_matrix(data.train, data.catalog);
  BiasedMfOptions options = small_mf_options();
  const Embeddings first = BiasedMf(options).fit(matrix, nullptr);
  options.threads = 1;
  const Embeddings second = BiasedMf(options).fit(matrix, nullptr);
  EXPECT_TRUE(first.users == second.users);
  EXPECT_TRUE(first.movies == second.movies);
}

TEST(BiasedMfOptions, RejectsInvalidValues) {
  EXPECT_THROW(BiasedMfOptions::from_json({{"regularization", 0.0}}), Error);
  EXPECT_THROW(BiasedMfOptions::from_json({{"solver", "sgd"}}), Error);
  EXPECT_THROW(BiasedMfOptions::from_json({{"samples", 0}}), Error);
  EXPECT_THROW(BiasedMfOptions::from_json({{"burn_in", -1}}), Error);
  EXPECT_THROW(BiasedMfOptions::from_json({{"weighted_regularization", "yes"}}), Error);
  EXPECT_THROW(BiasedMfOptions::from_json({{"alpha", 1.0}}), Error);
  EXPECT_FALSE(
      BiasedMfOptions::from_json({{"weighted_regularization", false}}).weighted_regularization);
  EXPECT_EQ(BiasedMfOptions::from_json({{"solver", "als"}}).solver, "als");
}

TEST(BiasedMfOptions, DefaultSolverIsGibbs) {
  const BiasedMfOptions options = BiasedMfOptions::from_json(nlohmann::json::object());
  EXPECT_EQ(options.solver, "gibbs");
  EXPECT_EQ(options.to_json().at("solver"), "gibbs");
  EXPECT_EQ(options.to_json().at("samples"), options.samples);
  EXPECT_EQ(BiasedMfOptions::from_json(options.to_json()).burn_in, options.burn_in);
}

}  // namespace
}  // namespace recsys::test
