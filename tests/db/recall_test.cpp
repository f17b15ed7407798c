#include <gtest/gtest.h>

#include "database_test.hpp"
#include "db/recall_check.hpp"
#include "db/recommendation_queries.hpp"

namespace recsys::testing {
namespace {

using RecallTest = DatabaseTest;

// MovieLens 100k's shape with loosely clustered embeddings of a typical rank. "Rare" marks
// 24 movies, as many as ML-100k's rarest genre (Film-Noir).
TestModelOptions movielens_100k_shape() {
  return {.movies = 1682,
          .users = 943,
          .dimension = 64,
          .clusters = 20,
          .spread = 1.0F,
          .ratings_per_user = 100,
          .seed = 7,
          .rare_genre_every = 71};
}

TEST_F(RecallTest, DefaultSettingsReachRecall99) {
  publish(round_trip(make_test_model(movielens_100k_shape()), work_directory_, "v1"), "1");
  auto connection = connect();

  db::RecallCheckOptions options;
  options.users = 200;
  auto result = db::check_recall(connection, options);

  EXPECT_EQ(result.users, 200);
  EXPECT_TRUE(result.index_used) << result.plan;
  EXPECT_EQ(result.exact_searches, 0) << "an unfiltered search must not need the fallback";
  EXPECT_GE(result.mean_recall, 0.99);

  options.exact_fallback = false;
  auto index_only = db::check_recall(connection, options);
  EXPECT_GE(index_only.mean_recall, 0.99);
}

TEST_F(RecallTest, RareGenreReachesRecall99) {
  publish(round_trip(make_test_model(movielens_100k_shape()), work_directory_, "v1"), "1");
  auto connection = connect();

  db::RecallCheckOptions options;
  options.users = 100;
  options.filter.genre = "Rare";
  auto result = db::check_recall(connection, options);

  EXPECT_TRUE(result.index_used) << result.plan;
  EXPECT_GT(result.exact_searches, 0) << "24 matches cannot fill 10k = 100 candidates";
  EXPECT_GE(result.mean_recall, 0.99);
}

TEST_F(RecallTest, TinyEfSearchLowersRecall) {
  // The measurement can fail: a graph searched with ef_search = 1 and no iterative scan
  // misses neighbors.
  publish(round_trip(make_test_model(movielens_100k_shape()), work_directory_, "v1"), "1");
  auto connection = connect();

  db::RecallCheckOptions options;
  options.users = 100;
  options.settings.ef_search = 1;
  options.settings.iterative_scan = false;
  options.exact_fallback = false;
  auto result = db::check_recall(connection, options);
  EXPECT_LT(result.mean_recall, 0.99);

  // The service's fallback notices the short candidate list and scores every movie.
  options.exact_fallback = true;
  auto with_fallback = db::check_recall(connection, options);
  EXPECT_EQ(with_fallback.exact_searches, with_fallback.users);
  EXPECT_GE(with_fallback.mean_recall, 0.99);
}

TEST_F(RecallTest, NothingServedIsAnError) {
  auto connection = connect();
  EXPECT_THROW(db::check_recall(connection, {}), Error);
}

}  // namespace
}  // namespace recsys::testing
