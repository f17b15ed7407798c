#include "test_models.hpp"

#include <random>

namespace recsys::testing {

namespace {

const char* const kGenres[] = {"Action", "Comedy", "Drama", "Film-Noir", "Children's", "Sci-Fi"};

}  // namespace

ModelDirectory make_test_model(const TestModelOptions& options) {
  std::mt19937_64 generator(options.seed);
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::uniform_int_distribution<int> cluster_of(0, options.clusters - 1);

  RowMatrix centers(options.clusters, options.dimension);
  for (Eigen::Index i = 0; i < centers.size(); ++i) {
    centers.data()[i] = normal(generator);
  }

  ModelDirectory model;
  model.metadata.model_type = "als";
  model.metadata.factors = options.dimension;
  model.metadata.dimension = options.dimension;
  model.metadata.hyperparameters = {{"factors", options.dimension}, {"regularization", 0.05}};
  model.metadata.software_version = "test";
  model.metadata.git_commit = "test";
  model.metadata.created_at = "2024-01-01T00:00:00Z";
  model.metadata.dataset_name = "synthetic";
  model.metadata.dataset_fingerprint = "sha256:test";
  model.metadata.split = "random";
  model.metrics = {{"ndcg_at_10", 0.25}, {"recall_at_10", 0.2}};
  model.genres.assign(std::begin(kGenres), std::end(kGenres));
  model.genres.emplace_back("Rare");

  auto& embeddings = model.embeddings;
  embeddings.movies.resize(options.movies, options.dimension);
  for (int i = 0; i < options.movies; ++i) {
    embeddings.movie_ids.push_back(i + 1);
    int cluster = cluster_of(generator);
    for (int d = 0; d < options.dimension; ++d) {
      embeddings.movies(i, d) = centers(cluster, d) + options.spread * normal(generator);
    }

    Movie movie;
    movie.id = i + 1;
    movie.title = "Movie \"" + std::to_string(i + 1) + "\" l'été";
    movie.year = 1950 + (i % 70);
    std::size_t genre_count = 1 + static_cast<std::size_t>(i % 3);
    for (std::size_t g = 0; g < genre_count; ++g) {
      movie.genres.emplace_back(kGenres[(static_cast<std::size_t>(i) + g * 2) % 6]);
    }
    if (options.rare_genre_every > 0 && i % options.rare_genre_every == 0) {
      movie.genres.emplace_back("Rare");
    }
    movie.imdb_url = "http://example.com/movie/" + std::to_string(i + 1);
    model.movies.push_back(movie);
  }

  embeddings.users.resize(options.users, options.dimension);
  std::uniform_int_distribution<int> movie_of(0, options.movies - 1);
  for (int u = 0; u < options.users; ++u) {
    embeddings.user_ids.push_back(1000 + u);
    int cluster = cluster_of(generator);
    for (int d = 0; d < options.dimension; ++d) {
      embeddings.users(u, d) = centers(cluster, d) + options.spread * normal(generator);
    }
    model.users.push_back({1000 + u, 20 + u % 50, u % 2 == 0 ? "F" : "M", "engineer", "12345"});
    for (int r = 0; r < options.ratings_per_user; ++r) {
      model.train_ratings.emplace_back(u, movie_of(generator));
    }
  }
  return model;
}

ModelDirectory round_trip(const ModelDirectory& model, const std::filesystem::path& parent,
                          const std::string& name) {
  std::filesystem::path directory = parent / name;
  write_model_directory(model, directory);
  return read_model_directory(directory);
}

}  // namespace recsys::testing
