#pragma once

#include <cstdint>
#include <vector>

#include "data/dataset.hpp"

namespace recsys {

// Training ratings indexed by row: users and movies are numbered 0..n-1 in ascending id order,
// and the ratings are stored twice in compressed sparse row form, once grouped by user and
// once grouped by movie, so that both halves of an alternating least squares iteration read
// their rows contiguously.
struct RatingMatrix {
  std::vector<std::int64_t> user_ids;   // user_ids[u] is the MovieLens id of user row u.
  std::vector<std::int64_t> movie_ids;  // movie_ids[i] is the MovieLens id of movie row i.

  // The ratings of user row u are user_movies/user_ratings[user_offsets[u], user_offsets[u+1]),
  // in ascending movie row order.
  std::vector<std::int64_t> user_offsets;
  std::vector<std::int32_t> user_movies;
  std::vector<float> user_ratings;

  // The ratings of movie row i, in ascending user row order.
  std::vector<std::int64_t> movie_offsets;
  std::vector<std::int32_t> movie_users;
  std::vector<float> movie_ratings;

  std::int64_t user_count() const { return static_cast<std::int64_t>(user_ids.size()); }
  std::int64_t movie_count() const { return static_cast<std::int64_t>(movie_ids.size()); }
  std::int64_t rating_count() const { return static_cast<std::int64_t>(user_movies.size()); }
};

// One side of a RatingMatrix, by users or by movies: the ratings of row r are
// ratings[offsets[r], offsets[r + 1]), given to the rows columns[...] of the other side.
struct RatingRows {
  const std::vector<std::int64_t>& offsets;
  const std::vector<std::int32_t>& columns;
  const std::vector<float>& ratings;
  std::int64_t row_count() const { return static_cast<std::int64_t>(offsets.size()) - 1; }
};

inline RatingRows user_rows(const RatingMatrix& matrix) {
  return {matrix.user_offsets, matrix.user_movies, matrix.user_ratings};
}

inline RatingRows movie_rows(const RatingMatrix& matrix) {
  return {matrix.movie_offsets, matrix.movie_users, matrix.movie_ratings};
}

// Returns the mean of the ratings in `matrix`, or 0 when it has none.
double mean_rating(const RatingMatrix& matrix);

// The rows a model has embeddings for: every user and movie of the release's catalog, so
// that a test user or movie without training ratings still has a row.
struct CatalogIds {
  std::vector<std::int64_t> user_ids;   // Ascending, unique.
  std::vector<std::int64_t> movie_ids;  // Ascending, unique.
};

// Collects the catalog of `dataset`: the users of its user file (or, for releases without
// one, every user with a rating) and the movies of its movie file together with every movie
// that has a rating.
CatalogIds catalog_ids(const Dataset& dataset);

// Builds the matrix of `ratings` over the rows of `catalog`. Throws recsys::Error when a
// rating names a user or movie outside the catalog or when a (user, movie) pair repeats.
RatingMatrix build_rating_matrix(const std::vector<Rating>& ratings, const CatalogIds& catalog);

}  // namespace recsys
