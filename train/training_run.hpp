#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/split.hpp"
#include "evaluate/evaluation.hpp"
#include "train/training_observer.hpp"

namespace recsys {

// What `recsys train` does; each field documents its default.
struct TrainingRunOptions {
  // Release directory or zip. Empty: ML100K_DIR or the cached download (resolve_data_path).
  std::filesystem::path data;
  std::string release = "auto";  // LoadOptions::release.
  // Method "u1" by default. Its invalid_lines policy applies to every file read.
  SplitOptions split;
  // Split methods to train and evaluate one after the other, such as u1..u5; when not empty
  // it replaces split.method and the result holds the mean and standard deviation.
  std::vector<std::string> folds;
  std::string model = "als";  // "als", "mf" or "popularity".
  // Hyperparameters overriding the model's defaults, by name ("factors", "alpha", ...).
  nlohmann::json hyperparameters = nlohmann::json::object();
  // K and the relevance threshold; rating_metrics is set from the model type.
  EvaluationOptions evaluation;
  // When above 0, this share of each user's training ratings is held out of fitting, and NDCG@K
  // on it is reported after every iteration. The held-out ratings still count as rated when
  // the test set is ranked and in the model's training ratings.
  double validation_fraction = 0.0;
  // Model directory to write. Empty writes nothing. With folds, the first fold's model is
  // written.
  std::filesystem::path out;
};

struct FoldOutcome {
  std::string split;
  EvaluationResult evaluation;
};

struct TrainingRunResult {
  std::string model;
  nlohmann::json hyperparameters;  // Every hyperparameter in use, defaults included.
  std::vector<FoldOutcome> folds;  // One per split evaluated, in order.
  // The test metrics of the single split, or their mean over the folds.
  std::map<std::string, double> metrics;
  // Sample standard deviation over the folds; empty for a single split.
  std::map<std::string, double> standard_deviation;
  std::filesystem::path model_dir;          // Empty when no directory was written.
  std::filesystem::path evaluation_report;  // model_dir / "evaluation.json", or empty.
};

// Loads the data, trains the model on each split's training ratings, evaluates it on the test
// ratings and writes the model directory atomically. `observer` (may be null) hears every
// event: on_start after the data is loaded, on_iteration after each iteration (steps count on
// across folds), then on_success or on_failure. SIGINT and SIGTERM stop the run at the next
// iteration with on_failure(killed = true) and TrainingInterrupted, leaving no output. Throws
// recsys::Error on invalid options, data or output path; nothing is written then either.
TrainingRunResult run_training(const TrainingRunOptions& options, TrainingObserver* observer);

}  // namespace recsys
