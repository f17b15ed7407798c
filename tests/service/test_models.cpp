#include "test_models.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <set>

#include "recsys/version.hpp"
#include "train/model_directory.hpp"
#include "train/rating_matrix.hpp"
#include "train/recommender.hpp"
#include "train/training_run.hpp"

namespace recsys::testing {

namespace {

const std::vector<std::string> kGenres = {"Action", "Comedy",  "Drama",
                                          "Horror", "Romance", "Sci-Fi"};
constexpr int kUsers = 150;
constexpr int kMovies = 120;

}  // namespace

int synthetic_group(std::int64_t id) {
  return static_cast<int>((id - 1) % 3);
}

Dataset make_synthetic_dataset() {
  Dataset dataset;
  dataset.name = "synthetic";
  dataset.source = "memory";
  dataset.fingerprint = "sha256:synthetic";
  dataset.genres = kGenres;

  for (std::int64_t id = 1; id <= kMovies; ++id) {
    Movie movie;
    movie.id = id;
    int group = synthetic_group(id);
    movie.genres = {kGenres[static_cast<std::size_t>(2 * group + id % 2)]};
    if (id != kMovies) {
      movie.year = 1970 + static_cast<int>(id % 30);
      movie.title = "Movie " + std::to_string(id) + " (" + std::to_string(*movie.year) + ")";
    } else {
      movie.title = "Movie without a year";
    }
    movie.imdb_url = "http://example.invalid/movie/" + std::to_string(id);
    dataset.movies.push_back(movie);
  }

  std::mt19937_64 random(7);
  for (std::int64_t user_id = 1; user_id <= kUsers; ++user_id) {
    dataset.users.push_back({user_id, 20 + static_cast<int>(user_id % 40), "F", "other", "00000"});
    int group = synthetic_group(user_id);
    std::set<std::int64_t> rated;
    // 16 movies of the user's group, rated 4 or 5, and 4 others rated 1 or 2.
    while (rated.size() < 16) {
      std::int64_t movie = 3 * static_cast<std::int64_t>(random() % 40) + group + 1;
      if (rated.insert(movie).second) {
        dataset.ratings.push_back({user_id, movie, static_cast<float>(4 + random() % 2),
                                   1'000'000 + static_cast<std::int64_t>(rated.size())});
      }
    }
    while (rated.size() < 20) {
      std::int64_t movie = static_cast<std::int64_t>(random() % kMovies) + 1;
      if (synthetic_group(movie) != group && rated.insert(movie).second) {
        dataset.ratings.push_back({user_id, movie, static_cast<float>(1 + random() % 2),
                                   1'000'000 + static_cast<std::int64_t>(rated.size())});
      }
    }
  }
  return dataset;
}

void write_trained_model(const Dataset& dataset, const std::string& model_type,
                         const std::string& hyperparameters_json,
                         const std::filesystem::path& directory) {
  const CatalogIds catalog = catalog_ids(dataset);
  const RatingMatrix matrix = build_rating_matrix(dataset.ratings, catalog);
  auto model = make_recommender(model_type, nlohmann::json::parse(hyperparameters_json));

  ModelDirectory out;
  out.embeddings = model->fit(matrix, [](const TrainingProgress&) {});
  out.metadata.model_type = model->name();
  out.metadata.factors = model->factors();
  out.metadata.dimension = static_cast<int>(out.embeddings.movies.cols());
  out.metadata.hyperparameters = model->hyperparameters();
  out.metadata.software_version = kVersion;
  out.metadata.git_commit = kGitCommit;
  out.metadata.created_at = "2024-01-01T00:00:00Z";
  out.metadata.dataset_name = dataset.name;
  out.metadata.dataset_fingerprint = dataset.fingerprint;
  out.metadata.split = "none";
  out.metadata.mean_rating = out.embeddings.mean_rating;
  for (std::int64_t u = 0; u < matrix.user_count(); ++u) {
    for (std::int64_t k = matrix.user_offsets[u]; k < matrix.user_offsets[u + 1]; ++k) {
      out.train_ratings.emplace_back(static_cast<std::int32_t>(u), matrix.user_movies[k]);
    }
  }
  out.metrics = {{"train_ratings", static_cast<double>(matrix.rating_count())}};
  out.movies = dataset.movies;
  out.users = dataset.users;
  out.genres = dataset.genres;
  write_model_directory(out, directory);
}

double recorded_mean_rating(const std::filesystem::path& directory) {
  auto metadata = nlohmann::json::parse(std::ifstream(directory / "model.json"));
  return metadata.at("mean_rating").get<double>();
}

void train_movielens_model(const std::filesystem::path& data,
                           const std::filesystem::path& directory) {
  TrainingRunOptions options;
  options.data = data;
  options.split.method = "u1";
  options.model = "als";
  options.out = directory;
  run_training(options, nullptr);
}

std::map<std::int64_t, std::vector<std::int64_t>> exact_top_k(
    const std::filesystem::path& directory, int k) {
  const ModelDirectory model = read_model_directory(directory);
  const auto& embeddings = model.embeddings;
  std::vector<std::set<std::int32_t>> rated(embeddings.user_ids.size());
  for (const auto& [user_row, movie_row] : model.train_ratings) {
    rated[static_cast<std::size_t>(user_row)].insert(movie_row);
  }

  std::map<std::int64_t, std::vector<std::int64_t>> top;
  const RowMatrix scores = embeddings.users * embeddings.movies.transpose();
  std::vector<std::int32_t> rows(embeddings.movie_ids.size());
  for (std::size_t u = 0; u < embeddings.user_ids.size(); ++u) {
    std::iota(rows.begin(), rows.end(), 0);
    auto end = std::remove_if(rows.begin(), rows.end(),
                              [&](std::int32_t row) { return rated[u].contains(row); });
    auto row_scores = scores.row(static_cast<Eigen::Index>(u));
    auto better = [&](std::int32_t a, std::int32_t b) {
      if (row_scores(a) != row_scores(b)) {
        return row_scores(a) > row_scores(b);
      }
      return embeddings.movie_ids[static_cast<std::size_t>(a)] <
             embeddings.movie_ids[static_cast<std::size_t>(b)];
    };
    auto count = std::min<std::ptrdiff_t>(k, end - rows.begin());
    std::partial_sort(rows.begin(), rows.begin() + count, end, better);
    auto& ids = top[embeddings.user_ids[u]];
    for (std::ptrdiff_t i = 0; i < count; ++i) {
      ids.push_back(
          embeddings.movie_ids[static_cast<std::size_t>(rows[static_cast<std::size_t>(i)])]);
    }
  }
  return top;
}

std::vector<std::pair<std::int64_t, float>> ratings_of(const std::vector<Rating>& ratings,
                                                       std::int64_t user_id) {
  std::vector<std::pair<std::int64_t, float>> found;
  for (const auto& rating : ratings) {
    if (rating.user_id == user_id) {
      found.emplace_back(rating.movie_id, rating.rating);
    }
  }
  return found;
}

}  // namespace recsys::testing
