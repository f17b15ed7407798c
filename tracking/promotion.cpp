#include "tracking/promotion.hpp"

#include <cmath>

#include "tracking/python_float.hpp"

namespace recsys::tracking {

namespace {

std::string describe(const std::optional<double>& value) {
  return value ? format_python_float(*value) : std::string("no value");
}

}  // namespace

bool lower_is_better(const std::string& metric) {
  return metric == "rmse" || metric == "mae" || metric == "mse" || metric.ends_with("_loss");
}

PromotionDecision decide_promotion(const PromotionCandidate& candidate,
                                   const std::optional<PromotionCandidate>& champion,
                                   const std::string& metric, bool force) {
  const std::string name = "version " + candidate.version;
  if (!champion) {
    return {true, name + " becomes champion: no version has the alias yet"};
  }
  if (champion->version == candidate.version) {
    return {true, name + " is the champion already"};
  }
  const std::string champion_name = "champion version " + champion->version;
  if (force) {
    return {true, name + " replaces " + champion_name + " because --force was given (" + metric +
                      " " + describe(candidate.metric_value) + " vs " +
                      describe(champion->metric_value) + ")"};
  }
  if (candidate.dataset_fingerprint != champion->dataset_fingerprint ||
      candidate.split != champion->split) {
    return {false, "keeping " + champion_name + ": it was evaluated on data set " +
                       champion->dataset_fingerprint + " split '" + champion->split + "', " + name +
                       " on " + candidate.dataset_fingerprint + " split '" + candidate.split +
                       "', so their metrics are not comparable; pass --force to promote anyway"};
  }
  if (!champion->metric_value || std::isnan(*champion->metric_value)) {
    return {false, "keeping " + champion_name + ": it has no " + metric +
                       " value to compare with; pass --force to promote anyway"};
  }
  if (!candidate.metric_value || std::isnan(*candidate.metric_value)) {
    return {false, "keeping " + champion_name + ": " + name + " has no " + metric + " value"};
  }

  const bool lower = lower_is_better(metric);
  const double challenger = *candidate.metric_value;
  const double holder = *champion->metric_value;
  const bool better = lower ? challenger < holder : challenger > holder;
  const std::string comparison = metric + " " + format_python_float(challenger) + " vs " +
                                 format_python_float(holder) + " (" + (lower ? "lower" : "higher") +
                                 " is better)";
  if (better) {
    return {true, name + " replaces " + champion_name + ": " + comparison};
  }
  return {false, "keeping " + champion_name + ": " + name + " is not better, " + comparison};
}

}  // namespace recsys::tracking
