#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>

#include "evaluate/evaluation.hpp"
#include "train/biased_mf.hpp"
#include "train_test_support.hpp"

namespace recsys::test {
namespace {

// Ratings from a rank-3 biased model plus Gaussian noise of standard deviation 0.5, on a
// random 30% of the (user, movie) pairs. Every fifth rating is held out.
struct NoisyPlantedRatings {
  std::vector<Rating> train;
  std::vector<Rating> held_out;
  CatalogIds catalog;
};

constexpr double kNoise = 0.5;

NoisyPlantedRatings noisy_planted_ratings() {
  NoisyPlantedRatings data;
  std::mt19937_64 random(17);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const int users = 150;
  const int movies = 100;

  std::vector<double> user_bias(users), movie_bias(movies);
  std::vector<std::array<double, 3>> p(users), q(movies);
  for (int u = 0; u < users; ++u) {
    user_bias[u] = 0.4 * normal(random);
    p[u] = {normal(random), normal(random), normal(random)};
    data.catalog.user_ids.push_back(u + 1);
  }
  for (int i = 0; i < movies; ++i) {
    movie_bias[i] = 0.4 * normal(random);
    q[i] = {0.6 * normal(random), 0.6 * normal(random), 0.6 * normal(random)};
    data.catalog.movie_ids.push_back(i + 1);
  }

  int pair = 0;
  for (int u = 0; u < users; ++u) {
    for (int i = 0; i < movies; ++i) {
      if (unit(random) >= 0.3) {
        continue;
      }
      const double signal = 3.5 + user_bias[u] + movie_bias[i] + p[u][0] * q[i][0] +
                            p[u][1] * q[i][1] + p[u][2] * q[i][2];
      const Rating rating{u + 1, i + 1, static_cast<float>(signal + kNoise * normal(random)), 0};
      (++pair % 5 == 0 ? data.held_out : data.train).push_back(rating);
    }
  }
  return data;
}

BiasedMfOptions gibbs_options() {
  BiasedMfOptions options;
  options.solver = "gibbs";
  options.factors = 5;
  options.burn_in = 20;
  options.samples = 60;
  options.threads = 2;
  return options;
}

double rmse(const Embeddings& embeddings, const std::vector<Rating>& ratings) {
  double squared_error = 0.0;
  for (const Rating& rating : ratings) {
    const auto u = static_cast<Eigen::Index>(rating.user_id - 1);
    const auto i = static_cast<Eigen::Index>(rating.movie_id - 1);
    const double error = embeddings.users.row(u).dot(embeddings.movies.row(i)) - rating.rating;
    squared_error += error * error;
  }
  return std::sqrt(squared_error / static_cast<double>(ratings.size()));
}

// The baseline r = mu + b_u + b_i, fitted by alternating shrunk means (5 sweeps).
double bias_only_rmse(const NoisyPlantedRatings& data) {
  double mean = 0.0;
  for (const Rating& rating : data.train) {
    mean += rating.rating;
  }
  mean /= static_cast<double>(data.train.size());
  const double shrinkage = 5.0;
  std::vector<double> user_bias(data.catalog.user_ids.size() + 1, 0.0);
  std::vector<double> movie_bias(data.catalog.movie_ids.size() + 1, 0.0);
  for (int sweep = 0; sweep < 5; ++sweep) {
    std::vector<double> sum(movie_bias.size(), 0.0), count(movie_bias.size(), 0.0);
    for (const Rating& r : data.train) {
      sum[r.movie_id] += r.rating - mean - user_bias[r.user_id];
      count[r.movie_id] += 1.0;
    }
    for (std::size_t i = 0; i < movie_bias.size(); ++i) {
      movie_bias[i] = sum[i] / (count[i] + shrinkage);
    }
    sum.assign(user_bias.size(), 0.0);
    count.assign(user_bias.size(), 0.0);
    for (const Rating& r : data.train) {
      sum[r.user_id] += r.rating - mean - movie_bias[r.movie_id];
      count[r.user_id] += 1.0;
    }
    for (std::size_t u = 0; u < user_bias.size(); ++u) {
      user_bias[u] = sum[u] / (count[u] + shrinkage);
    }
  }
  double squared_error = 0.0;
  for (const Rating& r : data.held_out) {
    const double error = mean + user_bias[r.user_id] + movie_bias[r.movie_id] - r.rating;
    squared_error += error * error;
  }
  return std::sqrt(squared_error / static_cast<double>(data.held_out.size()));
}

TEST(GibbsMf, DeterministicForSeedAcrossThreads) {
  const NoisyPlantedRatings data = noisy_planted_ratings();
  const RatingMatrix matrix = build_rating_matrix(data.train, data.catalog);
  BiasedMfOptions options = gibbs_options();
  options.samples = 10;

  options.threads = 1;
  const Embeddings one = BiasedMf(options).fit(matrix, nullptr);
  options.threads = 2;
  const Embeddings two = BiasedMf(options).fit(matrix, nullptr);
  options.threads = 3;
  const Embeddings three = BiasedMf(options).fit(matrix, nullptr);
  EXPECT_TRUE(one.users == two.users);
  EXPECT_TRUE(one.movies == two.movies);
  EXPECT_TRUE(one.users == three.users);
  EXPECT_TRUE(one.movies == three.movies);

  options.seed += 1;
  const Embeddings other_seed = BiasedMf(options).fit(matrix, nullptr);
  EXPECT_FALSE(one.users == other_seed.users);
}

TEST(GibbsMf, EmbeddingsFoldMeanAndBiases) {
  const NoisyPlantedRatings data = noisy_planted_ratings();
  const RatingMatrix matrix = build_rating_matrix(data.train, data.catalog);
  const BiasedMfOptions options = gibbs_options();
  const Embeddings embeddings = BiasedMf(options).fit(matrix, nullptr);

  // user = [p_u, mean b_u + mu, 1] and movie = [q_i, 1, mean b_i].
  const Eigen::Index factors = options.factors;
  ASSERT_EQ(embeddings.users.cols(), factors + 2);
  ASSERT_EQ(embeddings.movies.cols(), factors + 2);
  EXPECT_TRUE((embeddings.users.col(factors + 1).array() == 1.0F).all());
  EXPECT_TRUE((embeddings.movies.col(factors).array() == 1.0F).all());
  ASSERT_TRUE(embeddings.mean_rating.has_value());
  EXPECT_NEAR(*embeddings.mean_rating, mean_rating(matrix), 1e-12);

  // evaluate() scores by the same inner product that pgvector serves.
  EvaluationOptions evaluation;
  evaluation.rating_metrics = true;
  const EvaluationResult result = evaluate(embeddings, data.train, data.held_out, evaluation);
  EXPECT_NEAR(result.metrics.at("rmse"), rmse(embeddings, data.held_out), 1e-9);
}

TEST(GibbsMf, BeatsBiasOnlyBaselineOnPlantedRanks) {
  const NoisyPlantedRatings data = noisy_planted_ratings();
  const RatingMatrix matrix = build_rating_matrix(data.train, data.catalog);
  const Embeddings embeddings = BiasedMf(gibbs_options()).fit(matrix, nullptr);

  const double model = rmse(embeddings, data.held_out);
  const double baseline = bias_only_rmse(data);
  EXPECT_LT(model, 0.8 * baseline) << "bias-only baseline " << baseline;
  // The noise alone costs kNoise; the factors of 3,000 ratings are learned well but not exactly.
  EXPECT_LT(model, 1.35 * kNoise);
  EXPECT_GT(model, 0.9 * kNoise);
}

TEST(GibbsMf, ReportsEverySweepAndLearnsNoise) {
  const NoisyPlantedRatings data = noisy_planted_ratings();
  const RatingMatrix matrix = build_rating_matrix(data.train, data.catalog);
  const BiasedMfOptions options = gibbs_options();
  std::vector<std::map<std::string, double>> sweeps;
  double final_sweep_rmse = 0.0;
  BiasedMf(options).fit(matrix, [&](const TrainingProgress& progress) {
    EXPECT_EQ(progress.iteration, static_cast<int>(sweeps.size()) + 1);
    EXPECT_EQ(progress.iterations, options.burn_in + options.samples);
    sweeps.push_back(progress.metrics);
    if (progress.iteration == progress.iterations) {
      final_sweep_rmse = rmse(progress.embeddings(), data.held_out);
    }
  });
  ASSERT_EQ(sweeps.size(), static_cast<std::size_t>(options.burn_in + options.samples));
  EXPECT_GT(sweeps.back().at("train_rmse"), 0.0);

  // After burn-in the sampled noise precision settles near 1 / kNoise^2 = 4, a little lower
  // because each draw of the factors also adds error.
  double precision = 0.0;
  for (std::size_t k = static_cast<std::size_t>(options.burn_in); k < sweeps.size(); ++k) {
    precision += sweeps[k].at("noise_precision");
  }
  precision /= static_cast<double>(options.samples);
  EXPECT_GT(precision, 2.5);
  EXPECT_LT(precision, 4.5);
  // The last sweep's embeddings are the posterior mean that fit() returns.
  EXPECT_LT(final_sweep_rmse, 1.35 * kNoise);
}

}  // namespace
}  // namespace recsys::test
