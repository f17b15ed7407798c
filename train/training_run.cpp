#include "train/training_run.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <memory>
#include <optional>
#include <sstream>
#include <system_error>

#include "core/error.hpp"
#include "data/loader.hpp"
#include "evaluate/test_set_checks.hpp"
#include "recsys/version.hpp"
#include "train/fit_checks.hpp"
#include "train/interrupt.hpp"
#include "train/model_directory.hpp"
#include "train/rating_matrix.hpp"
#include "train/recommender.hpp"
#include "train/run_description.hpp"

namespace recsys {

namespace {

namespace fs = std::filesystem;

// One trained fold, kept for writing the model directory.
struct TrainedFold {
  Split split;
  Embeddings embeddings;
  EvaluationResult evaluation;
};

// Fails before training when the model directory could not be written at the end.
void check_output_directory(const fs::path& out) {
  if (out.empty()) {
    return;
  }
  std::error_code error;
  if (fs::exists(out, error) && !(fs::is_directory(out, error) && fs::is_empty(out, error))) {
    throw Error("output directory " + out.string() +
                " already exists and is not empty: choose another --out or remove it");
  }
}

void check_options(const TrainingRunOptions& options) {
  if (!(options.validation_fraction >= 0.0 && options.validation_fraction < 1.0)) {
    throw Error("invalid validation fraction " + json_value_text(options.validation_fraction) +
                ": use 0 (none) or a share below 1, such as 0.1");
  }
  if (options.evaluation.k < 1) {
    throw Error("invalid k " + std::to_string(options.evaluation.k) +
                ": use a cut-off of at least 1");
  }
  if (!std::isfinite(options.evaluation.relevance_threshold)) {
    throw Error("invalid relevance threshold " +
                json_value_text(options.evaluation.relevance_threshold) +
                ": use a rating on the data's scale, such as --relevance-threshold 4");
  }
  check_output_directory(options.out);
}

// Fails before the run starts when no rating of the data could be relevant.
void check_threshold_on_scale(const TrainingRunOptions& options, const Dataset& dataset) {
  const float threshold = options.evaluation.relevance_threshold;
  if (threshold > dataset.scale.max) {
    throw Error(
        fmt::format("the relevance threshold {} is above the highest rating {} of {}: "
                    "lower --relevance-threshold",
                    threshold, dataset.scale.max, dataset.name));
  }
}

std::string join(const std::vector<std::string>& parts) {
  std::string text;
  for (const auto& part : parts) {
    text += (text.empty() ? "" : ",") + part;
  }
  return text;
}

std::string format_metrics(const std::map<std::string, double>& metrics) {
  std::ostringstream text;
  for (const auto& [name, value] : metrics) {
    text << ' ' << name << ' ' << value;
  }
  return text.str();
}

// Trains and evaluates on one split, reporting every iteration to `observer`.
TrainedFold train_fold(const TrainingRunOptions& options, const Dataset& dataset,
                       const CatalogIds& catalog, const std::string& method, int& step,
                       TrainingObserver* observer) {
  SplitOptions split_options = options.split;
  split_options.method = method;
  TrainedFold fold{make_split(dataset, split_options), {}, {}};
  check_test_set(method, fold.split.test, options.evaluation.relevance_threshold);
  InterruptGuard::throw_if_interrupted();

  // Fit on the training ratings less the validation share, if any.
  std::optional<Split> validation;
  if (options.validation_fraction > 0.0) {
    validation =
        carve_validation(fold.split.train, options.validation_fraction, options.split.seed);
  }
  const std::vector<Rating>& fit_ratings = validation ? validation->train : fold.split.train;
  const RatingMatrix matrix = build_rating_matrix(fit_ratings, catalog);
  spdlog::info("split {}: training {} on {} ratings ({} users, {} movies), testing on {}", method,
               options.model, matrix.rating_count(), matrix.user_count(), matrix.movie_count(),
               fold.split.test.size());

  auto model = make_recommender(options.model, options.hyperparameters);
  EvaluationOptions validation_options = options.evaluation;
  validation_options.rating_metrics = model->predicts_ratings();
  const std::string suffix = "_at_" + std::to_string(options.evaluation.k);

  auto on_iteration = [&](const TrainingProgress& progress) {
    check_iteration_metrics(progress.metrics, options.model, progress.iteration);
    std::map<std::string, double> metrics = progress.metrics;
    if (validation) {
      auto result =
          evaluate(progress.embeddings(), fit_ratings, validation->test, validation_options);
      for (const std::string& name : {"ndcg" + suffix, std::string("rmse")}) {
        if (result.metrics.count(name) != 0) {
          metrics["validation_" + name] = result.metrics[name];
        }
      }
    }
    ++step;
    spdlog::info("iteration {}/{}:{}", progress.iteration, progress.iterations,
                 format_metrics(metrics));
    if (observer != nullptr) {
      observer->on_iteration(step, metrics);
    }
    InterruptGuard::throw_if_interrupted();
  };
  fold.embeddings = model->fit(matrix, on_iteration);
  InterruptGuard::throw_if_interrupted();
  check_embeddings(fold.embeddings, options.model);

  EvaluationOptions test_options = options.evaluation;
  test_options.rating_metrics = model->predicts_ratings();
  fold.evaluation = evaluate(fold.embeddings, fold.split.train, fold.split.test, test_options);
  require_ranked_users(method, fold.evaluation);
  spdlog::info("split {}: test{}", method, format_metrics(fold.evaluation.metrics));
  return fold;
}

// Returns (user row, movie row) of every rating in `train`.
std::vector<std::pair<std::int32_t, std::int32_t>> training_pairs(const std::vector<Rating>& train,
                                                                  const CatalogIds& catalog) {
  const RatingMatrix matrix = build_rating_matrix(train, catalog);
  std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
  pairs.reserve(static_cast<std::size_t>(matrix.rating_count()));
  for (std::int64_t u = 0; u < matrix.user_count(); ++u) {
    for (std::int64_t k = matrix.user_offsets[u]; k < matrix.user_offsets[u + 1]; ++k) {
      pairs.emplace_back(static_cast<std::int32_t>(u), matrix.user_movies[k]);
    }
  }
  return pairs;
}

nlohmann::json evaluation_report(const TrainingRunOptions& options, const TrainedFold& fold,
                                 const TrainingRunResult& result) {
  nlohmann::json report = fold.evaluation.to_json();
  report["model"] = options.model;
  report["split"] = fold.split.name;
  report["relevance_threshold"] = options.evaluation.relevance_threshold;
  if (result.folds.size() > 1) {
    nlohmann::json folds = nlohmann::json::array();
    for (const auto& outcome : result.folds) {
      folds.push_back({{"split", outcome.split}, {"metrics", outcome.evaluation.metrics}});
    }
    report["cross_validation"] = {{"folds", folds},
                                  {"mean", result.metrics},
                                  {"standard_deviation", result.standard_deviation}};
  }
  return report;
}

ModelDirectory assemble_model_directory(const TrainingRunOptions& options, int factors,
                                        const Dataset& dataset, const CatalogIds& catalog,
                                        const TrainedFold& fold, const TrainingRunResult& result) {
  ModelDirectory directory;
  directory.metadata.model_type = options.model;
  directory.metadata.factors = factors;
  directory.metadata.dimension = static_cast<int>(fold.embeddings.users.cols());
  directory.metadata.hyperparameters = result.hyperparameters;
  directory.metadata.software_version = kVersion;
  directory.metadata.git_commit = kGitCommit;
  directory.metadata.created_at = utc_timestamp();
  directory.metadata.dataset_name = dataset.name;
  directory.metadata.dataset_fingerprint = dataset.fingerprint;
  directory.metadata.split = fold.split.name;
  directory.metadata.mean_rating = fold.embeddings.mean_rating;

  directory.embeddings = fold.embeddings;
  directory.train_ratings = training_pairs(fold.split.train, catalog);
  directory.metrics = fold.evaluation.metrics;
  directory.evaluation = evaluation_report(options, fold, result);
  directory.movies = dataset.movies;
  directory.users = dataset.users;
  directory.genres = dataset.genres;
  return directory;
}

void notify_failure(TrainingObserver* observer, const std::string& error, bool killed) {
  if (observer == nullptr) {
    return;
  }
  try {
    observer->on_failure(error, killed);
  } catch (const std::exception& e) {
    spdlog::error("the training observer failed to record the failure: {}", e.what());
  }
}

// Runs every fold and writes the model; the caller reports the outcome to the observer.
void train_and_write(const TrainingRunOptions& options, const Dataset& dataset,
                     const std::vector<std::string>& splits, TrainingObserver* observer,
                     TrainingRunResult& result) {
  const CatalogIds catalog = catalog_ids(dataset);
  std::optional<TrainedFold> first;
  int step = 0;
  for (const auto& method : splits) {
    TrainedFold fold = train_fold(options, dataset, catalog, method, step, observer);
    result.folds.push_back({method, fold.evaluation});
    if (!first) {
      first = std::move(fold);
    }
  }

  if (result.folds.size() == 1) {
    result.metrics = result.folds.front().evaluation.metrics;
  } else {
    std::vector<EvaluationResult> evaluations;
    for (const auto& outcome : result.folds) {
      evaluations.push_back(outcome.evaluation);
    }
    const FoldSummary summary = summarize_folds(evaluations);
    result.metrics = summary.mean;
    result.standard_deviation = summary.standard_deviation;
  }

  InterruptGuard::throw_if_interrupted();
  if (!options.out.empty()) {
    const auto model = make_recommender(options.model, options.hyperparameters);
    write_model_directory(
        assemble_model_directory(options, model->factors(), dataset, catalog, *first, result),
        options.out);
    result.model_dir = options.out;
    result.evaluation_report = options.out / "evaluation.json";
    spdlog::info("wrote the model directory {}", options.out.string());
  }
}

}  // namespace

TrainingRunResult run_training(const TrainingRunOptions& options, TrainingObserver* observer) {
  // Reject invalid options before the data is read.
  TrainingRunResult result;
  result.model = options.model;
  result.hyperparameters =
      make_recommender(options.model, options.hyperparameters)->hyperparameters();
  check_options(options);
  const std::vector<std::string> splits =
      options.folds.empty() ? std::vector<std::string>{options.split.method} : options.folds;

  InterruptGuard guard;
  LoadOptions load_options;
  load_options.path = resolve_data_path(options.data.string());
  load_options.release = options.release;
  load_options.invalid_lines = options.split.invalid_lines;
  const Dataset dataset = load_dataset(load_options);
  check_threshold_on_scale(options, dataset);
  InterruptGuard::throw_if_interrupted();

  if (observer != nullptr) {
    observer->on_start(
        describe_training_run(options, result.hyperparameters, dataset, join(splits)));
  }
  try {
    train_and_write(options, dataset, splits, observer, result);
  } catch (const TrainingInterrupted& e) {
    notify_failure(observer, e.what(), true);
    throw;
  } catch (const std::exception& e) {
    notify_failure(observer, e.what(), false);
    throw;
  }

  if (observer != nullptr) {
    std::map<std::string, double> metrics = result.metrics;
    for (const auto& [name, value] : result.standard_deviation) {
      metrics[name + "_std"] = value;
    }
    try {
      observer->on_success(metrics, result.model_dir, result.evaluation_report);
    } catch (const std::exception& e) {
      // The run failed after all, so its model directory must not outlive it.
      std::error_code ignored;
      if (!result.model_dir.empty()) {
        fs::remove_all(result.model_dir, ignored);
      }
      notify_failure(observer, e.what(), false);
      throw;
    }
  }
  return result;
}

}  // namespace recsys
