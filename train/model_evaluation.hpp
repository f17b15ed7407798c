#pragma once

#include <filesystem>
#include <string>

#include "data/loader.hpp"
#include "evaluate/evaluation.hpp"

namespace recsys {

// What `recsys evaluate` does; each field documents its default.
struct ModelEvaluationOptions {
  std::filesystem::path model_dir;  // A directory written by `recsys train`.
  // Release directory or zip. Empty: ML100K_DIR or the cached download (resolve_data_path).
  std::filesystem::path data;
  std::string release = "auto";
  std::string split;  // Split method; empty uses the split the model was trained on.
  // What to do with an invalid line of the data or split files.
  InvalidLinePolicy invalid_lines = InvalidLinePolicy::kReject;
  // K and the relevance threshold; rating_metrics is set from the model type.
  EvaluationOptions evaluation;
};

// Re-evaluates a written model on a split of the data: the test ratings are ranked against
// the split's training ratings, exactly as `recsys train` did. Logs a warning when the data's
// fingerprint differs from the one the model was trained on. Throws recsys::Error for an
// invalid directory, data or split.
EvaluationResult evaluate_model_directory(const ModelEvaluationOptions& options);

}  // namespace recsys
