#include "train/run_description.hpp"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <ctime>
#include <sstream>

#include "recsys/version.hpp"

namespace recsys {

std::string json_value_text(const nlohmann::json& value) {
  if (value.is_number_float() && !std::isfinite(value.get<double>())) {
    // JSON has no NaN or infinity (dump() writes null), so use Python's spelling, as MLflow does.
    const double number = value.get<double>();
    return std::isnan(number) ? "nan" : (number > 0 ? "inf" : "-inf");
  }
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string utc_timestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text.data();
}

std::string host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) {
    return "unknown";
  }
  return name.data();
}

TrainingRunInfo describe_training_run(const TrainingRunOptions& options,
                                      const nlohmann::json& hyperparameters, const Dataset& dataset,
                                      const std::string& split) {
  TrainingRunInfo info;
  for (const auto& [name, value] : hyperparameters.items()) {
    info.params[name] = json_value_text(value);
  }
  info.params["model"] = options.model;
  info.params["split"] = split;
  info.params["invalid_lines"] = invalid_line_policy_name(options.split.invalid_lines);
  info.params["k"] = std::to_string(options.evaluation.k);
  info.params["relevance_threshold"] = json_value_text(options.evaluation.relevance_threshold);
  info.params["validation_fraction"] = json_value_text(options.validation_fraction);
  if (split.find("random") != std::string::npos) {
    info.params["test_fraction"] = json_value_text(options.split.test_fraction);
    info.params["split_seed"] = std::to_string(options.split.seed);
  }
  if (split.find("temporal") != std::string::npos) {
    info.params["holdout"] = std::to_string(options.split.holdout);
  }

  info.tags = {{"git_commit", kGitCommit},
               {"software_version", kVersion},
               {"host", host_name()},
               {"model_type", options.model},
               {"dataset_name", dataset.name},
               {"dataset_fingerprint", dataset.fingerprint},
               {"split", split}};
  info.dataset_name = dataset.name;
  info.dataset_fingerprint = dataset.fingerprint;
  info.dataset_source = dataset.source.string();
  info.split = split;
  return info;
}

}  // namespace recsys
