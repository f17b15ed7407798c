#include "db/model_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/error.hpp"
#include "train/recommender.hpp"

namespace recsys::db {

namespace {

namespace fs = std::filesystem;

// HNSW indexes on the vector type accept at most 2,000 dimensions (pgvector 0.8 README).
constexpr int kMaxIndexedDimension = 2000;

// Bound of publications.mean_rating (migration 0002); NaN fails the comparison too.
constexpr double kMaxMeanRating = 1e6;

// Returns "als, mf or popularity": the model types of recsys train, which the service serves.
std::string accepted_model_types() {
  const auto& names = recommender_names();
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  }
  return text;
}

bool is_known_model_type(const std::string& model_type) {
  const auto& names = recommender_names();
  return std::find(names.begin(), names.end(), model_type) != names.end();
}

std::string file_name(const fs::path& directory, const char* name) {
  return directory.empty() ? std::string(name) : (directory / name).string();
}

// One embedding matrix with the names that messages use for it.
struct EmbeddingFile {
  const RowMatrix& rows;
  const std::vector<std::int64_t>& ids;
  std::string file;     // "movie_embeddings.npy", with the directory when known.
  const char* id_name;  // "movie" or "user".
};

// The row of largest L2 norm, computed in double so that the norm itself cannot overflow.
struct LargestRow {
  Eigen::Index row = 0;
  double norm = 0.0;
};

std::string describe_row(const EmbeddingFile& embeddings, Eigen::Index row) {
  return fmt::format("{} row {} ({} {})", embeddings.file, row, embeddings.id_name,
                     embeddings.ids[static_cast<std::size_t>(row)]);
}

void check_model_type(const std::string& model_type, const std::string& model_json) {
  if (model_type.empty()) {
    throw InputError(model_json, 0,
                     "the field model_type is empty: expected " + accepted_model_types() +
                         "; train the model again with recsys train");
  }
  if (!is_known_model_type(model_type)) {
    throw InputError(model_json, 0,
                     "model_type is '" + model_type + "': expected " + accepted_model_types() +
                         ", the model types recsys serve can serve; train the model with "
                         "recsys train");
  }
}

template <typename Id>
void require_unique(const std::vector<Id>& ids, const std::string& what) {
  std::unordered_set<Id> seen;
  for (Id id : ids) {
    if (!seen.insert(id).second) {
      throw Error("the model lists " + what + " " + std::to_string(id) +
                  " twice: the model directory is inconsistent; train the model again");
    }
  }
}

void check_shape_and_ids(const ModelDirectory& model) {
  const auto& embeddings = model.embeddings;
  int dimension = model.metadata.dimension;
  if (dimension < 1 || dimension > kMaxIndexedDimension) {
    throw Error("the model's dimension is " + std::to_string(dimension) +
                ": pgvector's HNSW index accepts 1 to " + std::to_string(kMaxIndexedDimension));
  }
  if (embeddings.movies.cols() != dimension || embeddings.users.cols() != dimension) {
    throw Error("the embedding matrices do not have the model's dimension " +
                std::to_string(dimension));
  }
  if (static_cast<std::size_t>(embeddings.movies.rows()) != embeddings.movie_ids.size() ||
      static_cast<std::size_t>(embeddings.users.rows()) != embeddings.user_ids.size()) {
    throw Error(
        "the embedding rows do not match id_maps.json: the model directory is "
        "inconsistent; train the model again");
  }
  if (embeddings.movie_ids.empty()) {
    throw Error("the model has no movie embeddings: nothing to publish");
  }
  require_unique(embeddings.movie_ids, "movie id");
  require_unique(embeddings.user_ids, "user id");

  std::vector<std::int64_t> catalog_ids;
  for (const Movie& movie : model.movies) {
    catalog_ids.push_back(movie.id);
  }
  require_unique(catalog_ids, "catalog movie id");
  std::unordered_set<std::int64_t> catalog(catalog_ids.begin(), catalog_ids.end());
  for (std::int64_t id : embeddings.movie_ids) {
    if (!catalog.contains(id)) {
      throw Error("movie " + std::to_string(id) +
                  " has an embedding but no entry in catalog/movies.json: the model directory "
                  "is inconsistent; train the model again");
    }
  }
}

// pgvector rejects NaN and infinity; name the value instead of failing inside COPY.
void check_finite(const EmbeddingFile& embeddings) {
  for (Eigen::Index row = 0; row < embeddings.rows.rows(); ++row) {
    for (Eigen::Index column = 0; column < embeddings.rows.cols(); ++column) {
      float value = embeddings.rows(row, column);
      if (!std::isfinite(value)) {
        throw Error(fmt::format(
            "{}, column {} is {}: embeddings must be finite float32 values; train the model "
            "again (a diverged training run produces such values)",
            describe_row(embeddings, row), column, value));
      }
    }
  }
}

LargestRow largest_row(const RowMatrix& rows) {
  LargestRow largest;
  for (Eigen::Index row = 0; row < rows.rows(); ++row) {
    double norm = rows.row(row).cast<double>().norm();
    if (norm > largest.norm) {
      largest = {row, norm};
    }
  }
  return largest;
}

// Rejects norms whose inner products could exceed kMaxInnerProduct (see model_checks.hpp).
void check_score_range(const EmbeddingFile& users, const EmbeddingFile& movies) {
  LargestRow user = largest_row(users.rows);
  LargestRow movie = largest_row(movies.rows);
  const std::string advice = fmt::format(
      "Publish accepts L2 norms whose product is at most {:.3g}, so that pgvector's float32 "
      "scores stay finite. Train the model again with stronger regularization.",
      kMaxInnerProduct);

  if (!users.ids.empty() && user.norm * movie.norm > kMaxInnerProduct) {
    throw Error(fmt::format(
        "{} has L2 norm {:.3g} and {} has L2 norm {:.3g}, so their inner product can reach "
        "{:.3g}, beyond float32's maximum {:.3g}. {}",
        describe_row(users, user.row), user.norm, describe_row(movies, movie.row), movie.norm,
        user.norm * movie.norm, std::numeric_limits<float>::max(), advice));
  }
  // The HNSW build and GET /movies/{id}/similar take inner products between movies.
  if (movie.norm * movie.norm > kMaxInnerProduct) {
    throw Error(fmt::format(
        "{} has L2 norm {:.3g}, so its inner product with itself reaches {:.3g}, beyond "
        "float32's maximum {:.3g}. The HNSW build and the similar-movie search compute such "
        "products. {}",
        describe_row(movies, movie.row), movie.norm, movie.norm * movie.norm,
        std::numeric_limits<float>::max(), advice));
  }
}

}  // namespace

ModelDirectory read_model_for_publish(const fs::path& directory) {
  const fs::path model_json = directory / "model.json";
  std::error_code error;
  if (fs::is_directory(model_json, error)) {
    throw InputError(model_json.string(), 0,
                     "is a directory: expected the model's JSON metadata; train the model again");
  }
  std::ifstream in(model_json);
  // An unreadable or malformed file is left to read_model_directory, which reports it.
  nlohmann::json metadata = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
  if (metadata.is_object()) {
    if (!metadata.contains("model_type")) {
      throw InputError(model_json.string(), 0,
                       "the field model_type is missing: expected " + accepted_model_types() +
                           "; train the model again with recsys train");
    }
    const nlohmann::json& model_type = metadata["model_type"];
    if (!model_type.is_string()) {
      throw InputError(model_json.string(), 0,
                       "model_type is " + model_type.dump() + ": expected the string " +
                           accepted_model_types() + "; train the model again with recsys train");
    }
    check_model_type(model_type.get<std::string>(), model_json.string());
  }
  return read_model_directory(directory);
}

void check_publishable(const ModelDirectory& model, const fs::path& directory) {
  check_model_type(model.metadata.model_type, file_name(directory, "model.json"));
  check_shape_and_ids(model);

  const auto& mean_rating = model.metadata.mean_rating;
  if (mean_rating && !(std::abs(*mean_rating) <= kMaxMeanRating)) {
    throw Error("the model's mean_rating is " + std::to_string(*mean_rating) +
                ": expected a finite number (the mean training rating); train the model again");
  }

  EmbeddingFile users{model.embeddings.users, model.embeddings.user_ids,
                      file_name(directory, "user_embeddings.npy"), "user"};
  EmbeddingFile movies{model.embeddings.movies, model.embeddings.movie_ids,
                       file_name(directory, "movie_embeddings.npy"), "movie"};
  check_finite(movies);
  check_finite(users);
  check_score_range(users, movies);
}

}  // namespace recsys::db
