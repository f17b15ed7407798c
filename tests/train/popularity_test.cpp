#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "train/recommender.hpp"

namespace recsys::test {
namespace {

using ::testing::ElementsAre;

// Movie 1: three ratings (one low), movie 2: two high ratings, movie 3: one, movie 4: none.
std::vector<Rating> ratings() {
  return {{1, 1, 5.0F, 0}, {2, 1, 4.0F, 0}, {3, 1, 1.0F, 0},
          {1, 2, 5.0F, 0}, {2, 2, 4.0F, 0}, {3, 3, 3.0F, 0}};
}

CatalogIds catalog() {
  return {{1, 2, 3}, {1, 2, 3, 4}};
}

TEST(Popularity, ScoresMoviesByRatingCount) {
  auto model = make_recommender("popularity");
  const Embeddings embeddings = model->fit(build_rating_matrix(ratings(), catalog()), nullptr);

  ASSERT_EQ(embeddings.users.cols(), 1);
  EXPECT_EQ(embeddings.users.rows(), 3);
  EXPECT_EQ(embeddings.users(2, 0), 1.0F);
  std::vector<float> scores(embeddings.movies.data(), embeddings.movies.data() + 4);
  EXPECT_THAT(scores, ElementsAre(3.0F, 2.0F, 1.0F, 0.0F));
  EXPECT_THAT(embeddings.movie_ids, ElementsAre(1, 2, 3, 4));
}

TEST(Popularity, CountsOnlyRatingsAtThreshold) {
  auto model = make_recommender("popularity", {{"min_rating", 4.0}});
  const Embeddings embeddings = model->fit(build_rating_matrix(ratings(), catalog()), nullptr);
  std::vector<float> scores(embeddings.movies.data(), embeddings.movies.data() + 4);
  EXPECT_THAT(scores, ElementsAre(2.0F, 2.0F, 0.0F, 0.0F));
}

TEST(Popularity, RejectsForeignHyperparameter) {
  EXPECT_THROW(make_recommender("popularity", {{"alpha", 1.0}}), Error);
}

TEST(RecommenderFactory, RejectsUnknownModel) {
  EXPECT_THROW(make_recommender("bpr"), Error);
  EXPECT_THAT(recommender_names(), ElementsAre("als", "mf", "popularity"));
}

}  // namespace
}  // namespace recsys::test
