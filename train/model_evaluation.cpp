#include "train/model_evaluation.hpp"

#include <spdlog/spdlog.h>

#include "data/loader.hpp"
#include "data/split.hpp"
#include "evaluate/test_set_checks.hpp"
#include "train/model_directory.hpp"

namespace recsys {

EvaluationResult evaluate_model_directory(const ModelEvaluationOptions& options) {
  const ModelDirectory model = read_model_directory(options.model_dir);

  LoadOptions load_options;
  load_options.path = resolve_data_path(options.data.string());
  load_options.release = options.release;
  load_options.invalid_lines = options.invalid_lines;
  const Dataset dataset = load_dataset(load_options);
  if (dataset.fingerprint != model.metadata.dataset_fingerprint) {
    spdlog::warn(
        "the data {} ({}) differs from the data the model was trained on ({} {}); "
        "test ratings may have been seen in training",
        dataset.source.string(), dataset.fingerprint, model.metadata.dataset_name,
        model.metadata.dataset_fingerprint);
  }

  SplitOptions split_options;
  split_options.method = options.split.empty() ? model.metadata.split : options.split;
  split_options.invalid_lines = options.invalid_lines;
  if (split_options.method != model.metadata.split) {
    spdlog::warn("evaluating on split {} but the model was trained on split {}",
                 split_options.method, model.metadata.split);
  }
  const Split split = make_split(dataset, split_options);

  EvaluationOptions evaluation = options.evaluation;
  evaluation.rating_metrics = model.metadata.model_type == "mf";
  spdlog::info("evaluating {} model {} on split {}: {} test ratings", model.metadata.model_type,
               options.model_dir.string(), split_options.method, split.test.size());
  check_test_set(split.name, split.test, evaluation.relevance_threshold);
  EvaluationResult result = evaluate(model.embeddings, split.train, split.test, evaluation);
  require_ranked_users(split.name, result);
  return result;
}

}  // namespace recsys
