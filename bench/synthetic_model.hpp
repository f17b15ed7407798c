#pragma once

// A synthetic model directory for the publish benchmarks: embeddings drawn around random
// cluster centers (so HNSW neighborhoods resemble a trained model's), a catalog and
// training ratings.
#include <cstdint>
#include <random>
#include <string>

#include "train/model_directory.hpp"

namespace recsys::bench {

struct SyntheticShape {
  int movies = 1682;
  int users = 943;
  int dimension = 64;
  int clusters = 20;
  int ratings_per_user = 106;  // ML-100k: 100,000 ratings over 943 users.
  std::uint64_t seed = 1;
};

inline ModelDirectory make_synthetic_model(const SyntheticShape& shape) {
  static const char* const genres[] = {"Action",   "Comedy",  "Drama",
                                       "Thriller", "Romance", "Sci-Fi"};
  std::mt19937_64 generator(shape.seed);
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::uniform_int_distribution<int> cluster_of(0, shape.clusters - 1);
  std::uniform_int_distribution<int> movie_of(0, shape.movies - 1);

  RowMatrix centers(shape.clusters, shape.dimension);
  for (Eigen::Index i = 0; i < centers.size(); ++i) {
    centers.data()[i] = normal(generator);
  }
  auto draw = [&](RowMatrix& matrix, int row) {
    int cluster = cluster_of(generator);
    for (int d = 0; d < shape.dimension; ++d) {
      matrix(row, d) = 0.3F * (centers(cluster, d) + 0.5F * normal(generator));
    }
  };

  ModelDirectory model;
  model.metadata.model_type = "als";
  model.metadata.factors = shape.dimension;
  model.metadata.dimension = shape.dimension;
  model.metadata.dataset_name = "synthetic";
  model.embeddings.movies.resize(shape.movies, shape.dimension);
  for (int i = 0; i < shape.movies; ++i) {
    model.embeddings.movie_ids.push_back(i + 1);
    draw(model.embeddings.movies, i);
    Movie movie;
    movie.id = i + 1;
    movie.title = "Movie " + std::to_string(i + 1) + " (" + std::to_string(1930 + i % 90) + ")";
    movie.year = 1930 + i % 90;
    movie.genres = {genres[i % 6], genres[(i / 6) % 6]};
    movie.imdb_url = "http://www.imdb.com/title/tt" + std::to_string(1000000 + i) + "/";
    model.movies.push_back(std::move(movie));
  }
  model.embeddings.users.resize(shape.users, shape.dimension);
  for (int u = 0; u < shape.users; ++u) {
    model.embeddings.user_ids.push_back(u + 1);
    draw(model.embeddings.users, u);
    for (int r = 0; r < shape.ratings_per_user; ++r) {
      model.train_ratings.emplace_back(u, movie_of(generator));
    }
  }
  return model;
}

}  // namespace recsys::bench
