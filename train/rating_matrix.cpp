#include "train/rating_matrix.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>

#include "core/error.hpp"

namespace recsys {

namespace {

// Maps MovieLens ids to rows: a dense table when the ids are small non-negative numbers, as in
// every MovieLens release, and a hash map otherwise.
class IdIndex {
 public:
  explicit IdIndex(const std::vector<std::int64_t>& ids) {
    const std::int64_t max_id = ids.empty() ? 0 : ids.back();
    const bool dense =
        ids.empty() ||
        (ids.front() >= 0 && max_id <= 8 * static_cast<std::int64_t>(ids.size()) + 1'000'000);
    if (dense) {
      table_.assign(static_cast<std::size_t>(max_id) + 1, -1);
      for (std::size_t row = 0; row < ids.size(); ++row) {
        table_[static_cast<std::size_t>(ids[row])] = static_cast<std::int32_t>(row);
      }
    } else {
      map_.reserve(ids.size());
      for (std::size_t row = 0; row < ids.size(); ++row) {
        map_.emplace(ids[row], static_cast<std::int32_t>(row));
      }
      use_map_ = true;
    }
  }

  // Returns the row of `id`, or -1 when the id is not indexed.
  std::int32_t find(std::int64_t id) const {
    if (use_map_) {
      auto it = map_.find(id);
      return it == map_.end() ? -1 : it->second;
    }
    if (id < 0 || id >= static_cast<std::int64_t>(table_.size())) {
      return -1;
    }
    return table_[static_cast<std::size_t>(id)];
  }

 private:
  std::vector<std::int32_t> table_;
  std::unordered_map<std::int64_t, std::int32_t> map_;
  bool use_map_ = false;
};

void sort_unique(std::vector<std::int64_t>& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

// Returns the offsets of a counting sort by `keys` (n_keys + 1 entries).
std::vector<std::int64_t> count_offsets(const std::vector<std::int32_t>& keys,
                                        std::int64_t key_count) {
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(key_count) + 1, 0);
  for (std::int32_t key : keys) {
    ++offsets[static_cast<std::size_t>(key) + 1];
  }
  for (std::size_t k = 1; k < offsets.size(); ++k) {
    offsets[k] += offsets[k - 1];
  }
  return offsets;
}

// Returns the permutation that orders the entries `order` by `keys`, keeping the relative
// order of `order` among equal keys (a stable counting sort).
std::vector<std::int64_t> stable_order_by(const std::vector<std::int32_t>& keys,
                                          const std::vector<std::int64_t>& offsets,
                                          const std::vector<std::int64_t>& order) {
  std::vector<std::int64_t> next(offsets.begin(), offsets.end() - 1);
  std::vector<std::int64_t> sorted(order.size());
  for (std::int64_t entry : order) {
    const auto key = static_cast<std::size_t>(keys[static_cast<std::size_t>(entry)]);
    sorted[static_cast<std::size_t>(next[key]++)] = entry;
  }
  return sorted;
}

}  // namespace

CatalogIds catalog_ids(const Dataset& dataset) {
  CatalogIds catalog;

  if (dataset.users.empty()) {
    catalog.user_ids.reserve(dataset.ratings.size() / 16 + 1);
    for (const Rating& rating : dataset.ratings) {
      catalog.user_ids.push_back(rating.user_id);
    }
  } else {
    for (const User& user : dataset.users) {
      catalog.user_ids.push_back(user.id);
    }
  }
  sort_unique(catalog.user_ids);

  for (const Movie& movie : dataset.movies) {
    catalog.movie_ids.push_back(movie.id);
  }
  for (const Rating& rating : dataset.ratings) {
    catalog.movie_ids.push_back(rating.movie_id);
  }
  sort_unique(catalog.movie_ids);
  return catalog;
}

RatingMatrix build_rating_matrix(const std::vector<Rating>& ratings, const CatalogIds& catalog) {
  if (!std::is_sorted(catalog.user_ids.begin(), catalog.user_ids.end()) ||
      !std::is_sorted(catalog.movie_ids.begin(), catalog.movie_ids.end())) {
    throw Error("rating matrix: the catalog ids must be sorted in ascending order");
  }
  if (catalog.user_ids.size() > std::numeric_limits<std::int32_t>::max() ||
      catalog.movie_ids.size() > std::numeric_limits<std::int32_t>::max()) {
    throw Error("rating matrix: more than 2^31 - 1 users or movies are not supported");
  }

  RatingMatrix matrix;
  matrix.user_ids = catalog.user_ids;
  matrix.movie_ids = catalog.movie_ids;

  // Translate ids to rows once.
  const IdIndex users(catalog.user_ids);
  const IdIndex movies(catalog.movie_ids);
  const std::size_t n = ratings.size();
  std::vector<std::int32_t> user_rows(n);
  std::vector<std::int32_t> movie_rows(n);
  for (std::size_t k = 0; k < n; ++k) {
    user_rows[k] = users.find(ratings[k].user_id);
    movie_rows[k] = movies.find(ratings[k].movie_id);
    if (user_rows[k] < 0) {
      throw Error("rating matrix: user " + std::to_string(ratings[k].user_id) +
                  " has a rating but is not in the data set's user list");
    }
    if (movie_rows[k] < 0) {
      throw Error("rating matrix: movie " + std::to_string(ratings[k].movie_id) +
                  " has a rating but is not in the data set's movie list");
    }
  }

  // Two stable counting sorts give user-major order with ascending movies in each user, and
  // a third gives movie-major order with ascending users in each movie.
  std::vector<std::int64_t> original(n);
  for (std::size_t k = 0; k < n; ++k) {
    original[k] = static_cast<std::int64_t>(k);
  }
  const auto movie_offsets = count_offsets(movie_rows, matrix.movie_count());
  const auto user_offsets = count_offsets(user_rows, matrix.user_count());
  const auto by_movie = stable_order_by(movie_rows, movie_offsets, original);
  original.clear();
  original.shrink_to_fit();
  const auto by_user = stable_order_by(user_rows, user_offsets, by_movie);

  matrix.user_offsets = user_offsets;
  matrix.user_movies.resize(n);
  matrix.user_ratings.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    const auto entry = static_cast<std::size_t>(by_user[k]);
    matrix.user_movies[k] = movie_rows[entry];
    matrix.user_ratings[k] = ratings[entry].rating;
  }
  for (std::int64_t u = 0; u < matrix.user_count(); ++u) {
    for (std::int64_t k = user_offsets[u] + 1; k < user_offsets[u + 1]; ++k) {
      if (matrix.user_movies[k] == matrix.user_movies[k - 1]) {
        throw Error("rating matrix: user " + std::to_string(matrix.user_ids[u]) + " rates movie " +
                    std::to_string(matrix.movie_ids[matrix.user_movies[k]]) +
                    " more than once; keep one rating per (user, movie) pair");
      }
    }
  }

  const auto movie_major = stable_order_by(movie_rows, movie_offsets, by_user);
  matrix.movie_offsets = movie_offsets;
  matrix.movie_users.resize(n);
  matrix.movie_ratings.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    const auto entry = static_cast<std::size_t>(movie_major[k]);
    matrix.movie_users[k] = user_rows[entry];
    matrix.movie_ratings[k] = ratings[entry].rating;
  }
  return matrix;
}

double mean_rating(const RatingMatrix& matrix) {
  if (matrix.user_ratings.empty()) {
    return 0.0;
  }
  double sum = 0.0;
  for (float rating : matrix.user_ratings) {
    sum += rating;
  }
  return sum / static_cast<double>(matrix.user_ratings.size());
}

}  // namespace recsys
