#pragma once

#include <string>
#include <vector>

#include "tracking/entities.hpp"

namespace recsys::tracking {

// Metrics shown side by side by `recsys models list`, read from the versions' metric.* tags.
inline const std::vector<std::string> kTableMetrics = {"ndcg_at_10", "recall_at_10", "map_at_10",
                                                       "rmse"};

// Formats model versions as a text table: name, version, aliases, status, the metrics above,
// data set, split, run id and creation time, one row per version. "-" marks a missing value.
std::string format_model_versions_table(const std::vector<ModelVersion>& versions);

}  // namespace recsys::tracking
