#pragma once

#include <map>
#include <string>
#include <vector>

#include "train/training_run.hpp"

namespace recsys {

// Formats metrics as an aligned text table, one metric per line, for the terminal.
std::string format_metrics_table(const std::map<std::string, double>& metrics,
                                 const std::string& column);

// Formats a cross-validation result: mean ± standard deviation, then one column per fold.
std::string format_folds_table(const TrainingRunResult& result);

}  // namespace recsys
