#pragma once

#include <optional>
#include <string>

namespace recsys::tracking {

// True for error metrics, where a lower value is better: rmse, mae, mse and names ending in
// "_loss". Every other metric (ndcg_at_10, recall_at_10, ...) is better when higher.
bool lower_is_better(const std::string& metric);

// The fields of a model version that promotion compares.
struct PromotionCandidate {
  std::string version;
  std::optional<double> metric_value;
  std::string dataset_fingerprint;
  std::string split;
};

struct PromotionDecision {
  bool promote = false;
  std::string reason;  // One sentence for the user, with the values compared.
};

// Decides whether `candidate` takes the champion alias from `champion` (nullopt when no
// version has it). The candidate wins only when it was evaluated on the same data set
// fingerprint and split and is strictly better on `metric`. `force` promotes regardless, and
// a candidate that is the champion already keeps the alias.
PromotionDecision decide_promotion(const PromotionCandidate& candidate,
                                   const std::optional<PromotionCandidate>& champion,
                                   const std::string& metric, bool force);

}  // namespace recsys::tracking
