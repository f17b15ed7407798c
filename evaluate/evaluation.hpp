#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "train/embeddings.hpp"

namespace recsys {

struct EvaluationOptions {
  int k = 10;                         // Cut-off of every ranking metric.
  float relevance_threshold = 4.0F;   // A test rating >= this makes the movie relevant.
  bool rating_metrics = true;         // Compute RMSE and MAE (meaningful for rating models).
};

// Metrics of one model on one test set, keyed by the names used everywhere, MLflow included:
// rmse, mae, precision_at_K, recall_at_K, ndcg_at_K, map_at_K, hit_rate_at_K, coverage_at_K.
struct EvaluationResult {
  std::map<std::string, double> metrics;
  int k = 10;
  long users_evaluated = 0;           // Users with at least one relevant test movie.
  long users_without_relevant = 0;    // Test users skipped: no test rating >= threshold.
  long users_unknown = 0;             // Test users without training ratings or embedding.
  long test_ratings = 0;
  long test_ratings_skipped = 0;      // Test ratings of unknown users or movies.

  nlohmann::json to_json() const;
};

// Evaluates `embeddings` on `test`, ranking for each user every movie that the user did not
// rate in `train`. Scores are users.row(u).dot(movies.row(i)); ties are broken by the lower
// movie id first.
EvaluationResult evaluate(const Embeddings& embeddings, const std::vector<Rating>& train,
                          const std::vector<Rating>& test, const EvaluationOptions& options);

// Mean and sample standard deviation of each metric over several folds.
struct FoldSummary {
  std::map<std::string, double> mean;
  std::map<std::string, double> standard_deviation;
  int folds = 0;
};
FoldSummary summarize_folds(const std::vector<EvaluationResult>& results);

}  // namespace recsys
