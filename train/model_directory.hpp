#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.hpp"
#include "train/embeddings.hpp"

namespace recsys {

// The self-describing directory that `recsys train` writes and every later stage reads:
//
//   model.json              ModelMetadata below, as JSON
//   user_embeddings.npy     float32, n_users x dimension
//   movie_embeddings.npy    float32, n_movies x dimension
//   id_maps.json            {"user_ids": [...], "movie_ids": [...]}: row index -> MovieLens id
//   train_ratings.npy       int32, n x 2: (user row, movie row) of every training rating,
//                           used to exclude movies a user already rated
//   metrics.json            {"ndcg_at_10": ..., "rmse": ..., ...}
//   evaluation.json         the full evaluation report
//   catalog/movies.json     the release's movies (id, title, year, genres, imdb_url)
//   catalog/users.json      the release's users with demographics, [] when it has none
//   catalog/genres.json     the release's genre names
//
// The tracking stage adds an MLmodel file beside these when it logs the directory to MLflow.
struct ModelMetadata {
  int format_version = 1;
  std::string model_type;  // "als", "mf" or "popularity".
  int factors = 0;         // Latent factors, without the folded-in bias dimensions.
  int dimension = 0;       // Columns of the embedding matrices.
  nlohmann::json hyperparameters = nlohmann::json::object();
  std::string software_version;
  std::string git_commit;
  std::string created_at;  // UTC, ISO 8601.
  std::string dataset_name;
  std::string dataset_fingerprint;
  std::string split;
  // Rating models: mu, the mean training rating folded into the user embeddings, written as
  // "mean_rating" (absent for ranking models). Fold-in of a new user needs it.
  std::optional<double> mean_rating;
};

struct ModelDirectory {
  ModelMetadata metadata;
  Embeddings embeddings;
  std::vector<std::pair<std::int32_t, std::int32_t>> train_ratings;  // (user row, movie row)
  std::map<std::string, double> metrics;
  nlohmann::json evaluation = nlohmann::json::object();
  std::vector<Movie> movies;
  std::vector<User> users;
  std::vector<std::string> genres;
};

// Writes `model` to `directory` atomically: everything goes to a temporary sibling directory
// that is renamed into place at the end, so a failure leaves no partial directory behind.
// Throws recsys::Error if `directory` already exists and is not empty.
void write_model_directory(const ModelDirectory& model, const std::filesystem::path& directory);

// Reads and validates a directory written by write_model_directory. Throws recsys::Error
// naming the file and the problem when a file is missing or inconsistent.
ModelDirectory read_model_directory(const std::filesystem::path& directory);

}  // namespace recsys
