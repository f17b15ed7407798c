#include "train/rating_matrix.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"

namespace recsys::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

CatalogIds small_catalog() {
  return {{10, 20, 30}, {5, 7, 9, 11}};
}

TEST(RatingMatrix, StoresBothOrientationsSorted) {
  const std::vector<Rating> ratings = {
      {20, 9, 4.0F, 0}, {10, 11, 1.0F, 0}, {20, 5, 2.0F, 0}, {10, 5, 5.0F, 0}};
  const RatingMatrix matrix = build_rating_matrix(ratings, small_catalog());

  EXPECT_EQ(matrix.user_count(), 3);
  EXPECT_EQ(matrix.movie_count(), 4);
  EXPECT_EQ(matrix.rating_count(), 4);
  EXPECT_THAT(matrix.user_offsets, ElementsAre(0, 2, 4, 4));
  EXPECT_THAT(matrix.user_movies, ElementsAre(0, 3, 0, 2));
  EXPECT_THAT(matrix.user_ratings, ElementsAre(5.0F, 1.0F, 2.0F, 4.0F));
  EXPECT_THAT(matrix.movie_offsets, ElementsAre(0, 2, 2, 3, 4));
  EXPECT_THAT(matrix.movie_users, ElementsAre(0, 1, 1, 0));
  EXPECT_THAT(matrix.movie_ratings, ElementsAre(5.0F, 2.0F, 4.0F, 1.0F));
}

TEST(RatingMatrix, RejectsUnknownUser) {
  try {
    build_rating_matrix({{99, 5, 3.0F, 0}}, small_catalog());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("user 99"));
  }
}

TEST(RatingMatrix, RejectsUnknownMovie) {
  try {
    build_rating_matrix({{10, 6, 3.0F, 0}}, small_catalog());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("movie 6"));
  }
}

TEST(RatingMatrix, RejectsDuplicatePair) {
  try {
    build_rating_matrix({{10, 7, 3.0F, 0}, {20, 7, 3.0F, 0}, {10, 7, 4.0F, 1}}, small_catalog());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("user 10 rates movie 7 more than once"));
  }
}

TEST(RatingMatrix, HandlesLargeSparseIds) {
  const CatalogIds catalog{{1, 5'000'000'000LL}, {-3, 2'000'000'000'000LL}};
  const RatingMatrix matrix = build_rating_matrix(
      {{5'000'000'000LL, -3, 2.0F, 0}, {1, 2'000'000'000'000LL, 1.0F, 0}}, catalog);
  EXPECT_THAT(matrix.user_movies, ElementsAre(1, 0));
  EXPECT_THAT(matrix.movie_users, ElementsAre(1, 0));
}

TEST(CatalogIds, UsesUserFileAndRatedMovies) {
  Dataset dataset;
  for (std::int64_t id : {3, 1, 2}) {
    User user;
    user.id = id;
    dataset.users.push_back(user);
  }
  for (std::int64_t id : {7, 4}) {
    Movie movie;
    movie.id = id;
    dataset.movies.push_back(movie);
  }
  dataset.ratings = {{1, 9, 3.0F, 0}, {3, 4, 2.0F, 0}};
  const CatalogIds catalog = catalog_ids(dataset);
  EXPECT_THAT(catalog.user_ids, ElementsAre(1, 2, 3));
  EXPECT_THAT(catalog.movie_ids, ElementsAre(4, 7, 9));
}

TEST(CatalogIds, FallsBackToRatingUsers) {
  Dataset dataset;
  dataset.ratings = {{8, 1, 3.0F, 0}, {2, 1, 2.0F, 0}, {8, 2, 5.0F, 0}};
  const CatalogIds catalog = catalog_ids(dataset);
  EXPECT_THAT(catalog.user_ids, ElementsAre(2, 8));
  EXPECT_THAT(catalog.movie_ids, ElementsAre(1, 2));
}

}  // namespace
}  // namespace recsys::test
