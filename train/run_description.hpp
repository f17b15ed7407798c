#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "data/dataset.hpp"
#include "train/training_observer.hpp"
#include "train/training_run.hpp"

namespace recsys {

// Describes a training run for its observer: every hyperparameter and run option as params,
// and as tags the git commit, software version, host, data set name, fingerprint and split.
TrainingRunInfo describe_training_run(const TrainingRunOptions& options,
                                      const nlohmann::json& hyperparameters, const Dataset& dataset,
                                      const std::string& split);

// Returns a JSON scalar as text: strings without quotes, numbers and booleans as JSON, except
// NaN and infinities, which are "nan", "inf" and "-inf".
std::string json_value_text(const nlohmann::json& value);

// Returns the current UTC time in ISO 8601, such as "2024-05-01T12:00:00Z".
std::string utc_timestamp();

// Returns the host name, or "unknown" when it cannot be read.
std::string host_name();

}  // namespace recsys
