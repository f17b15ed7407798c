#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <vector>

namespace recsys {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Largest embedding dimension a model may have, because pgvector's HNSW index on the vector
// type accepts at most 2,000 dimensions (pgvector 0.8 README), and publish needs that index.
inline constexpr int kMaxEmbeddingDimension = 2000;

// User and movie embeddings of a trained model. The model's score for (user row u, movie
// row i) is users.row(u).dot(movies.row(i)) for every model type: biases are folded into
// extra dimensions, so an inner-product search ranks exactly as the model does.
struct Embeddings {
  std::vector<std::int64_t> user_ids;   // user_ids[u] is the MovieLens id of row u.
  std::vector<std::int64_t> movie_ids;  // movie_ids[i] is the MovieLens id of row i.
  RowMatrix users;                      // user_ids.size() x dimension
  RowMatrix movies;                     // movie_ids.size() x dimension
  // Rating models: mu, the mean training rating folded into the user embeddings' bias column,
  // which fold-in of a new user needs. Empty for ranking models.
  std::optional<double> mean_rating;
};

}  // namespace recsys
