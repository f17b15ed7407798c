#include "train/model_directory.hpp"

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <system_error>

#include "core/error.hpp"
#include "core/npy.hpp"

namespace recsys {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void write_json(const fs::path& file, const json& value) {
  std::ofstream out(file, std::ios::trunc);
  out << value.dump(2) << '\n';
  out.flush();
  if (!out) {
    throw Error("failed to write " + file.string() + ": disk full or I/O error");
  }
}

json read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) {
    throw InputError(file.string(), 0,
                     "missing from the model directory: the directory is incomplete; "
                     "train the model again or download it again");
  }
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw InputError(file.string(), 0, std::string("invalid JSON: ") + e.what());
  }
}

// Returns `value[key]` when it is an integer from `min` to `max`. nlohmann's get<int>() would
// truncate 10.5 without an error, and converting 1e12 to int is undefined behaviour.
std::int64_t integer_field(const json& value, const char* key, std::int64_t min, std::int64_t max,
                           const fs::path& file) {
  const json& field = value.at(key);
  const bool in_range =
      field.is_number_unsigned()
          ? field.get<std::uint64_t>() <= static_cast<std::uint64_t>(max) &&
                (min <= 0 || field.get<std::uint64_t>() >= static_cast<std::uint64_t>(min))
          : field.is_number_integer() && field.get<std::int64_t>() >= min &&
                field.get<std::int64_t>() <= max;
  if (!in_range) {
    throw InputError(file.string(), 0,
                     std::string("invalid field '") + key + "': " + field.dump() +
                         ", expected an integer from " + std::to_string(min) + " to " +
                         std::to_string(max) + "; train the model again to rewrite it");
  }
  return field.get<std::int64_t>();
}

// Bounds of the integer fields of a model directory: far beyond real models and catalogs, so
// that only damaged or hand-edited files fail.
constexpr std::int64_t kMaxFactors = 100'000;
constexpr std::int64_t kMaxYear = 9999;
constexpr std::int64_t kMaxAge = 200;
constexpr std::int64_t kMaxId = std::numeric_limits<std::int64_t>::max();

json metadata_to_json(const ModelMetadata& metadata) {
  json value = {{"format", "recsys-embeddings"},
                {"format_version", metadata.format_version},
                {"model_type", metadata.model_type},
                {"factors", metadata.factors},
                {"dimension", metadata.dimension},
                {"score", "inner_product"},
                {"hyperparameters", metadata.hyperparameters},
                {"software_version", metadata.software_version},
                {"git_commit", metadata.git_commit},
                {"created_at", metadata.created_at},
                {"dataset",
                 {{"name", metadata.dataset_name},
                  {"fingerprint", metadata.dataset_fingerprint},
                  {"split", metadata.split}}}};
  if (metadata.mean_rating) {
    value["mean_rating"] = *metadata.mean_rating;
  }
  return value;
}

ModelMetadata metadata_from_json(const json& value, const fs::path& file) {
  try {
    ModelMetadata metadata;
    metadata.format_version = static_cast<int>(
        integer_field(value, "format_version", 0, std::numeric_limits<int>::max(), file));
    if (metadata.format_version != 1) {
      throw InputError(file.string(), 0,
                       "unsupported format_version " + std::to_string(metadata.format_version) +
                           ": this program reads version 1; use a matching recsys version");
    }
    metadata.model_type = value.at("model_type").get<std::string>();
    metadata.factors = static_cast<int>(integer_field(value, "factors", 0, kMaxFactors, file));
    metadata.dimension = static_cast<int>(integer_field(value, "dimension", 1, kMaxFactors + 2, file));
    metadata.hyperparameters = value.at("hyperparameters");
    metadata.software_version = value.at("software_version").get<std::string>();
    metadata.git_commit = value.at("git_commit").get<std::string>();
    metadata.created_at = value.at("created_at").get<std::string>();
    const json& dataset = value.at("dataset");
    metadata.dataset_name = dataset.at("name").get<std::string>();
    metadata.dataset_fingerprint = dataset.at("fingerprint").get<std::string>();
    metadata.split = dataset.at("split").get<std::string>();
    if (value.contains("mean_rating")) {
      const json& mean = value.at("mean_rating");
      if (!mean.is_number() || !std::isfinite(mean.get<double>())) {
        throw InputError(file.string(), 0,
                         "invalid model metadata: mean_rating is " + mean.dump() +
                             ", expected a finite number; retrain the model to rewrite it");
      }
      metadata.mean_rating = mean.get<double>();
    }
    return metadata;
  } catch (const json::exception& e) {
    throw InputError(file.string(), 0, std::string("invalid model metadata: ") + e.what());
  }
}

json movie_to_json(const Movie& movie) {
  return {{"movie_id", movie.id},
          {"title", movie.title},
          {"year", movie.year ? json(*movie.year) : json(nullptr)},
          {"genres", movie.genres},
          {"imdb_url", movie.imdb_url}};
}

Movie movie_from_json(const json& value, const fs::path& file) {
  Movie movie;
  movie.id = integer_field(value, "movie_id", 1, kMaxId, file);
  movie.title = value.at("title").get<std::string>();
  if (!value.at("year").is_null()) {
    movie.year = static_cast<int>(integer_field(value, "year", 0, kMaxYear, file));
  }
  movie.genres = value.at("genres").get<std::vector<std::string>>();
  movie.imdb_url = value.at("imdb_url").get<std::string>();
  return movie;
}

json user_to_json(const User& user) {
  return {{"user_id", user.id},
          {"age", user.age},
          {"gender", user.gender},
          {"occupation", user.occupation},
          {"zip_code", user.zip_code}};
}

User user_from_json(const json& value, const fs::path& file) {
  User user;
  user.id = integer_field(value, "user_id", 1, kMaxId, file);
  user.age = static_cast<int>(integer_field(value, "age", 0, kMaxAge, file));
  user.gender = value.at("gender").get<std::string>();
  user.occupation = value.at("occupation").get<std::string>();
  user.zip_code = value.at("zip_code").get<std::string>();
  return user;
}

NpyArray<float> to_npy(const RowMatrix& matrix) {
  NpyArray<float> array;
  array.rows = matrix.rows();
  array.columns = matrix.cols();
  array.values.assign(matrix.data(), matrix.data() + matrix.size());
  return array;
}

RowMatrix from_npy(const NpyArray<float>& array) {
  RowMatrix matrix(array.rows, array.columns);
  std::copy(array.values.begin(), array.values.end(), matrix.data());
  return matrix;
}

// Validates the invariants every later stage relies on before anything is written.
void check_consistent(const ModelDirectory& model) {
  const Embeddings& embeddings = model.embeddings;
  if (static_cast<std::size_t>(embeddings.users.rows()) != embeddings.user_ids.size() ||
      static_cast<std::size_t>(embeddings.movies.rows()) != embeddings.movie_ids.size()) {
    throw Error("model is inconsistent: embedding rows do not match the id maps");
  }
  if (embeddings.users.cols() != model.metadata.dimension ||
      embeddings.movies.cols() != model.metadata.dimension) {
    throw Error("model is inconsistent: embedding columns differ from dimension " +
                std::to_string(model.metadata.dimension));
  }
  for (const auto& [user_row, movie_row] : model.train_ratings) {
    if (user_row < 0 || static_cast<std::size_t>(user_row) >= embeddings.user_ids.size() ||
        movie_row < 0 || static_cast<std::size_t>(movie_row) >= embeddings.movie_ids.size()) {
      throw Error("model is inconsistent: a training rating refers to row (" +
                  std::to_string(user_row) + ", " + std::to_string(movie_row) +
                  ") outside the embeddings");
    }
  }
}

fs::path temporary_sibling(const fs::path& directory) {
  std::random_device random;
  return directory.parent_path() / (".tmp-" + directory.filename().string() + "-" +
                                    std::to_string(::getpid()) + "-" + std::to_string(random()));
}

void write_contents(const ModelDirectory& model, const fs::path& directory) {
  write_json(directory / "model.json", metadata_to_json(model.metadata));
  write_npy(directory / "user_embeddings.npy", to_npy(model.embeddings.users));
  write_npy(directory / "movie_embeddings.npy", to_npy(model.embeddings.movies));
  write_json(directory / "id_maps.json",
             {{"user_ids", model.embeddings.user_ids}, {"movie_ids", model.embeddings.movie_ids}});

  NpyArray<std::int32_t> pairs;
  pairs.rows = static_cast<std::int64_t>(model.train_ratings.size());
  pairs.columns = 2;
  pairs.values.reserve(model.train_ratings.size() * 2);
  for (const auto& [user_row, movie_row] : model.train_ratings) {
    pairs.values.push_back(user_row);
    pairs.values.push_back(movie_row);
  }
  write_npy(directory / "train_ratings.npy", pairs);

  write_json(directory / "metrics.json", json(model.metrics));
  write_json(directory / "evaluation.json", model.evaluation);

  fs::create_directory(directory / "catalog");
  json movies = json::array();
  for (const Movie& movie : model.movies) {
    movies.push_back(movie_to_json(movie));
  }
  json users = json::array();
  for (const User& user : model.users) {
    users.push_back(user_to_json(user));
  }
  write_json(directory / "catalog" / "movies.json", movies);
  write_json(directory / "catalog" / "users.json", users);
  write_json(directory / "catalog" / "genres.json", model.genres);
}

}  // namespace

void write_model_directory(const ModelDirectory& model, const fs::path& directory) {
  check_consistent(model);
  std::error_code error;
  if (fs::exists(directory) && !fs::is_empty(directory, error)) {
    throw Error("output directory " + directory.string() +
                " already exists and is not empty: choose another --out or remove it");
  }
  const fs::path target = fs::absolute(directory);
  fs::create_directories(target.parent_path(), error);
  if (error) {
    throw Error("cannot create " + target.parent_path().string() + ": " + error.message());
  }

  const fs::path staging = temporary_sibling(target);
  try {
    fs::create_directory(staging);
    write_contents(model, staging);
    if (fs::exists(target)) {
      fs::remove(target);  // An empty directory, checked above.
    }
    fs::rename(staging, target);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(staging, error);
    throw Error("failed to write the model directory " + target.string() + ": " + e.what());
  } catch (...) {
    fs::remove_all(staging, error);
    throw;
  }
}

ModelDirectory read_model_directory(const fs::path& directory) {
  if (!fs::is_directory(directory)) {
    throw Error("model directory " + directory.string() +
                " not found: pass a directory written by `recsys train`");
  }
  ModelDirectory model;
  model.metadata =
      metadata_from_json(read_json(directory / "model.json"), directory / "model.json");
  model.embeddings.users = from_npy(read_npy_float32(directory / "user_embeddings.npy"));
  model.embeddings.movies = from_npy(read_npy_float32(directory / "movie_embeddings.npy"));
  model.embeddings.mean_rating = model.metadata.mean_rating;

  const fs::path id_maps_file = directory / "id_maps.json";
  const json id_maps = read_json(id_maps_file);
  try {
    model.embeddings.user_ids = id_maps.at("user_ids").get<std::vector<std::int64_t>>();
    model.embeddings.movie_ids = id_maps.at("movie_ids").get<std::vector<std::int64_t>>();
  } catch (const json::exception& e) {
    throw InputError(id_maps_file.string(), 0, std::string("invalid id maps: ") + e.what());
  }

  const fs::path pairs_file = directory / "train_ratings.npy";
  const NpyArray<std::int32_t> pairs = read_npy_int32(pairs_file);
  if (pairs.columns != 2) {
    throw InputError(
        pairs_file.string(), 0,
        "expected 2 columns (user row, movie row), found " + std::to_string(pairs.columns));
  }
  model.train_ratings.reserve(static_cast<std::size_t>(pairs.rows));
  for (std::int64_t row = 0; row < pairs.rows; ++row) {
    model.train_ratings.emplace_back(pairs.values[2 * row], pairs.values[2 * row + 1]);
  }

  const fs::path metrics_file = directory / "metrics.json";
  try {
    model.metrics = read_json(metrics_file).get<std::map<std::string, double>>();
  } catch (const json::exception& e) {
    throw InputError(metrics_file.string(), 0, std::string("invalid metrics: ") + e.what());
  }
  model.evaluation = read_json(directory / "evaluation.json");

  const fs::path catalog = directory / "catalog";
  try {
    for (const json& movie : read_json(catalog / "movies.json")) {
      model.movies.push_back(movie_from_json(movie, catalog / "movies.json"));
    }
    for (const json& user : read_json(catalog / "users.json")) {
      model.users.push_back(user_from_json(user, catalog / "users.json"));
    }
    model.genres = read_json(catalog / "genres.json").get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    throw InputError(catalog.string(), 0, std::string("invalid catalog: ") + e.what());
  }

  try {
    check_consistent(model);
  } catch (const Error& e) {
    throw Error(directory.string() + ": " + e.what());
  }
  return model;
}

}  // namespace recsys
