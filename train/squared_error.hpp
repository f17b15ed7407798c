#pragma once

#include <cstdint>
#include <vector>

#include "train/parallel.hpp"
#include "train/rating_matrix.hpp"

namespace recsys {

// Returns the sum of squared training errors of a biased factorization with rows [factors, bias],
// where prediction = mean + b_u + b_i + p_u . q_i. Per-user sums are added in row order, so the
// result does not depend on the thread count.
template <typename Matrix>
double sum_squared_error(const RatingMatrix& train, const Matrix& users, const Matrix& movies,
                         typename Matrix::Scalar mean, int threads) {
  constexpr std::int64_t kUsersPerChunk = 64;
  const auto factors = users.cols() - 1;
  std::vector<double> errors(static_cast<std::size_t>(train.user_count()), 0.0);

  parallel_for(
      train.user_count(), threads, kUsersPerChunk,
      [&](std::int64_t begin, std::int64_t end, int /*worker*/) {
        for (std::int64_t u = begin; u < end; ++u) {
          const auto user = users.row(u);
          double error = 0.0;
          for (std::int64_t k = train.user_offsets[u]; k < train.user_offsets[u + 1]; ++k) {
            const auto movie = movies.row(train.user_movies[k]);
            const double prediction =
                mean + user(factors) + movie(factors) + user.head(factors).dot(movie.head(factors));
            const double difference = train.user_ratings[k] - prediction;
            error += difference * difference;
          }
          errors[static_cast<std::size_t>(u)] = error;
        }
      });

  double total = 0.0;
  for (double error : errors) {
    total += error;
  }
  return total;
}

}  // namespace recsys
