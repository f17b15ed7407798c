#pragma once

#include <map>
#include <string>

#include "train/embeddings.hpp"

namespace recsys {

// Throws recsys::Error when `embeddings` cannot be scored: a value is NaN or infinite, or the
// largest user norm times the largest movie norm, or the largest movie norm squared (for
// similar movies), is above db::kMaxInnerProduct, the bound that publish enforces. Training
// calls it after fitting, before anything is written; `model` names the model type.
void check_embeddings(const Embeddings& embeddings, const std::string& model);

// Throws recsys::Error when a training metric of an iteration, such as train_loss, is NaN or
// infinite, so that a diverged fit stops at once.
void check_iteration_metrics(const std::map<std::string, double>& metrics, const std::string& model,
                             int iteration);

}  // namespace recsys
