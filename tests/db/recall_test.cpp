#include <gtest/gtest.h>

#include "database_test.hpp"
#include "db/recall_check.hpp"
#include "db/recommendation_queries.hpp"

namespace recsys::testing {
namespace {

using RecallTest = DatabaseTest;

// MovieLens 100k's shape with clustered embeddings of a typical rank.
TestModelOptions movielens_100k_shape() {
  return {.movies = 1682,
          .users = 943,
          .dimension = 64,
          .clusters = 20,
          .ratings_per_user = 100,
          .seed = 7};
}

TEST_F(RecallTest, DefaultSettingsReachRecall99) {
  publish(round_trip(make_test_model(movielens_100k_shape()), work_directory_, "v1"), "1");
  auto connection = connect();

  db::RecallCheckOptions options;
  options.users = 200;
  auto result = db::check_recall(connection, options);

  EXPECT_EQ(result.users, 200);
  EXPECT_TRUE(result.index_used) << result.plan;
  EXPECT_GE(result.mean_recall, 0.99);
}

TEST_F(RecallTest, FilteredSearchReachesRecall99) {
  publish(round_trip(make_test_model(movielens_100k_shape()), work_directory_, "v1"), "1");
  auto connection = connect();

  db::RecallCheckOptions options;
  options.users = 100;
  options.filter.genre = "Film-Noir";
  auto result = db::check_recall(connection, options);

  EXPECT_TRUE(result.index_used) << result.plan;
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
  auto result = db::check_recall(connection, options);

  EXPECT_LT(result.mean_recall, 0.99);
}

TEST_F(RecallTest, NothingServedIsAnError) {
  auto connection = connect();
  EXPECT_THROW(db::check_recall(connection, {}), Error);
}

}  // namespace
}  // namespace recsys::testing
