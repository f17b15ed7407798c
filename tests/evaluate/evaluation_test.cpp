#include "evaluate/evaluation.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"

namespace recsys {
namespace {

// One-dimensional embeddings: the score of (user, movie) is user_value * movie_value.
Embeddings make_embeddings(const std::vector<std::int64_t>& user_ids,
                           const std::vector<float>& user_values,
                           const std::vector<std::int64_t>& movie_ids,
                           const std::vector<float>& movie_values) {
  Embeddings embeddings;
  embeddings.user_ids = user_ids;
  embeddings.movie_ids = movie_ids;
  embeddings.users.resize(static_cast<long>(user_values.size()), 1);
  embeddings.movies.resize(static_cast<long>(movie_values.size()), 1);
  for (std::size_t i = 0; i < user_values.size(); ++i) {
    embeddings.users(static_cast<long>(i), 0) = user_values[i];
  }
  for (std::size_t i = 0; i < movie_values.size(); ++i) {
    embeddings.movies(static_cast<long>(i), 0) = movie_values[i];
  }
  return embeddings;
}

Rating rating(std::int64_t user, std::int64_t movie, float value) {
  return Rating{user, movie, value, 0};
}

// Gives each of `users` one training rating, of an added movie (id 1000) that scores below
// every other, so the users count as known and the rankings stay as they were.
std::vector<Rating> train_on_extra_movie(Embeddings& embeddings,
                                         const std::vector<std::int64_t>& users) {
  const Eigen::Index row = embeddings.movies.rows();
  embeddings.movies.conservativeResize(row + 1, Eigen::NoChange);
  embeddings.movies.row(row).setConstant(-1000.0F);
  embeddings.movie_ids.push_back(1000);
  std::vector<Rating> train;
  for (std::int64_t user : users) {
    train.push_back(rating(user, 1000, 1));
  }
  return train;
}

// Movies 10..14 score 5, 4, 3, 2, 1. The user rated movie 10 in training, so the ranking is
// 11, 12, 13, 14. Relevant test movies: 11 and 13. With K = 2 the top is 11, 12: one hit.
TEST(Evaluation, HandComputedCase) {
  const auto embeddings = make_embeddings({1}, {1.0F}, {10, 11, 12, 13, 14}, {5, 4, 3, 2, 1});
  const std::vector<Rating> train = {rating(1, 10, 5)};
  const std::vector<Rating> test = {rating(1, 11, 5), rating(1, 13, 4), rating(1, 14, 2)};
  EvaluationOptions options;
  options.k = 2;

  const EvaluationResult result = evaluate(embeddings, train, test, options);

  EXPECT_EQ(result.users_evaluated, 1);
  EXPECT_NEAR(result.metrics.at("precision_at_2"), 0.5, 1e-12);
  EXPECT_NEAR(result.metrics.at("recall_at_2"), 0.5, 1e-12);
  const double ideal = 1.0 + 1.0 / std::log2(3.0);
  EXPECT_NEAR(result.metrics.at("ndcg_at_2"), 1.0 / ideal, 1e-12);
  EXPECT_NEAR(result.metrics.at("map_at_2"), 0.5, 1e-12);
  EXPECT_NEAR(result.metrics.at("hit_rate_at_2"), 1.0, 1e-12);
  EXPECT_NEAR(result.metrics.at("coverage_at_2"), 2.0 / 5.0, 1e-12);
  // Predictions 4, 2, 1 against ratings 5, 4, 2.
  EXPECT_NEAR(result.metrics.at("rmse"), std::sqrt(6.0 / 3.0), 1e-6);
  EXPECT_NEAR(result.metrics.at("mae"), 4.0 / 3.0, 1e-6);
}

TEST(Evaluation, RecallDividesByMinOfKAndRelevant) {
  // Three relevant movies and K = 2: a perfect top 2 has recall 1, not 2/3.
  auto embeddings = make_embeddings({1}, {1.0F}, {1, 2, 3, 4}, {4, 3, 2, 1});
  const std::vector<Rating> train = train_on_extra_movie(embeddings, {1});
  const std::vector<Rating> test = {rating(1, 1, 5), rating(1, 2, 5), rating(1, 3, 5)};
  EvaluationOptions options;
  options.k = 2;

  const EvaluationResult result = evaluate(embeddings, train, test, options);

  EXPECT_NEAR(result.metrics.at("recall_at_2"), 1.0, 1e-12);
  EXPECT_NEAR(result.metrics.at("ndcg_at_2"), 1.0, 1e-12);
  EXPECT_NEAR(result.metrics.at("map_at_2"), 1.0, 1e-12);
  EXPECT_NEAR(result.metrics.at("precision_at_2"), 1.0, 1e-12);
}

TEST(Evaluation, AveragePrecisionUsesPrecisionAtEachHit) {
  // Ranking 1, 2, 3, 4 with relevant movies 2 and 4 at K = 4: AP = (1/2 + 2/4) / 2.
  auto embeddings = make_embeddings({1}, {1.0F}, {1, 2, 3, 4}, {4, 3, 2, 1});
  const std::vector<Rating> train = train_on_extra_movie(embeddings, {1});
  const std::vector<Rating> test = {rating(1, 2, 4), rating(1, 4, 4)};
  EvaluationOptions options;
  options.k = 4;

  const EvaluationResult result = evaluate(embeddings, train, test, options);

  EXPECT_NEAR(result.metrics.at("map_at_4"), 0.5, 1e-12);
  const double dcg = 1.0 / std::log2(3.0) + 1.0 / std::log2(5.0);
  const double ideal = 1.0 + 1.0 / std::log2(3.0);
  EXPECT_NEAR(result.metrics.at("ndcg_at_4"), dcg / ideal, 1e-12);
}

TEST(Evaluation, TiesGoToLowerMovieId) {
  // Every movie scores the same; the top 1 must be the lowest id, 7, which is relevant.
  auto embeddings = make_embeddings({1}, {1.0F}, {9, 7, 8}, {1, 1, 1});
  const std::vector<Rating> train = train_on_extra_movie(embeddings, {1});
  const std::vector<Rating> test = {rating(1, 7, 5)};
  EvaluationOptions options;
  options.k = 1;

  const EvaluationResult result = evaluate(embeddings, train, test, options);

  EXPECT_NEAR(result.metrics.at("hit_rate_at_1"), 1.0, 1e-12);
}

TEST(Evaluation, SkipsAndCountsUsersWithoutRelevantMovies) {
  auto embeddings = make_embeddings({1, 2}, {1.0F, 1.0F}, {1, 2}, {2, 1});
  const std::vector<Rating> train = train_on_extra_movie(embeddings, {1, 2});
  const std::vector<Rating> test = {rating(1, 1, 5), rating(2, 1, 3), rating(3, 1, 5)};
  EvaluationOptions options;
  options.k = 1;

  const EvaluationResult result = evaluate(embeddings, train, test, options);

  EXPECT_EQ(result.users_evaluated, 1);
  EXPECT_EQ(result.users_without_relevant, 1);
  EXPECT_EQ(result.users_unknown, 1);
  EXPECT_EQ(result.test_ratings_skipped, 1);
  EXPECT_NEAR(result.metrics.at("hit_rate_at_1"), 1.0, 1e-12);
}

TEST(Evaluation, ConfigurableRelevanceThreshold) {
  auto embeddings = make_embeddings({1}, {1.0F}, {1, 2}, {2, 1});
  const std::vector<Rating> train = train_on_extra_movie(embeddings, {1});
  const std::vector<Rating> test = {rating(1, 1, 3)};
  EvaluationOptions options;
  options.k = 1;
  options.relevance_threshold = 3.0F;

  const EvaluationResult result = evaluate(embeddings, train, test, options);

  EXPECT_EQ(result.users_evaluated, 1);
  EXPECT_EQ(result.users_without_relevant, 0);
}

TEST(Evaluation, UsersWithoutTrainingRatingsAreUnknown) {
  // User 2 has an embedding but no training rating, so the fit never trained it.
  auto embeddings = make_embeddings({1, 2}, {1.0F, 1.0F}, {1, 2}, {2, 1});
  const std::vector<Rating> train = train_on_extra_movie(embeddings, {1});
  const std::vector<Rating> test = {rating(1, 1, 5), rating(2, 1, 5)};
  EvaluationOptions options;
  options.k = 1;

  const EvaluationResult result = evaluate(embeddings, train, test, options);

  EXPECT_EQ(result.users_evaluated, 1);
  EXPECT_EQ(result.users_unknown, 1);
  EXPECT_EQ(result.test_ratings_skipped, 1);
}

TEST(Evaluation, RejectsZeroK) {
  const auto embeddings = make_embeddings({1}, {1.0F}, {1}, {1});
  EvaluationOptions options;
  options.k = 0;
  EXPECT_THROW(evaluate(embeddings, {}, {}, options), Error);
}

TEST(SummarizeFolds, MeanAndSampleStandardDeviation) {
  EvaluationResult first;
  first.metrics["ndcg_at_10"] = 0.4;
  EvaluationResult second;
  second.metrics["ndcg_at_10"] = 0.6;

  const FoldSummary summary = summarize_folds({first, second});

  EXPECT_EQ(summary.folds, 2);
  EXPECT_NEAR(summary.mean.at("ndcg_at_10"), 0.5, 1e-12);
  EXPECT_NEAR(summary.standard_deviation.at("ndcg_at_10"), std::sqrt(0.02), 1e-12);
}

}  // namespace
}  // namespace recsys
