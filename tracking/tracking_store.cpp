#include "tracking/tracking_store.hpp"

#include <nlohmann/json.hpp>
#include <regex>

#include "tracking/file_tracking_store.hpp"
#include "tracking/mlflow_error.hpp"
#include "tracking/rest_tracking_store.hpp"

namespace recsys::tracking {

namespace {

// MLflow accepts alphanumerics, underscores, periods, dashes, spaces and slashes in names,
// and rejects names that change under path normalization (mlflow/utils/validation.py).
void validate_key(const std::string& kind, const std::string& key) {
  static const std::regex valid_characters(R"(^[/\w.\- ]*$)");
  if (key.empty()) {
    throw MlflowError("invalid " + kind + " name '': a name must not be empty",
                      kInvalidParameterValue);
  }
  if (!std::regex_match(key, valid_characters)) {
    throw MlflowError("invalid " + kind + " name '" + key +
                          "': names may only contain alphanumerics, underscores, dashes, periods, "
                          "spaces and slashes",
                      kInvalidParameterValue);
  }
  const bool changes_as_path =
      key.front() == '/' || key.back() == '/' || key.find("//") != std::string::npos ||
      key == "." || key.starts_with("./") || key.starts_with("..") ||
      key.find("/./") != std::string::npos || key.find("/../") != std::string::npos ||
      key.ends_with("/.") || key.ends_with("/..");
  if (changes_as_path) {
    throw MlflowError("invalid " + kind + " name '" + key +
                          "': names are stored as file paths and must not change when "
                          "normalized as one",
                      kInvalidParameterValue);
  }
  if (key.size() > kMaxKeyLength) {
    throw MlflowError(kind + " name '" + key.substr(0, 50) + "...' has " +
                          std::to_string(key.size()) + " characters, more than MLflow's limit of " +
                          std::to_string(kMaxKeyLength),
                      kInvalidParameterValue);
  }
}

void validate_value_length(const std::string& kind, const std::string& key,
                           const std::string& value, std::size_t limit) {
  if (value.size() > limit) {
    throw MlflowError(kind + " '" + key + "' has a value of " + std::to_string(value.size()) +
                          " characters, more than MLflow's limit of " + std::to_string(limit) +
                          "; shorten the value",
                      kInvalidParameterValue);
  }
}

// Room for the run id and the field names of a log-batch body.
constexpr std::size_t kBatchEnvelopeBytes = 1024;

// Bytes that a param or tag adds to a log-batch body as JSON, with its separating comma.
std::size_t key_value_bytes(const std::string& key, const std::string& value) {
  return nlohmann::json{{"key", key}, {"value", value}}.dump().size() + 1;
}

// The same for a metric, counting its value at the longest JSON form of a double (24
// characters, as in -2.2250738585072014e-308).
std::size_t metric_bytes(const Metric& metric) {
  const nlohmann::json entry = {
      {"key", metric.key}, {"value", 0}, {"timestamp", metric.timestamp_ms}, {"step", metric.step}};
  return entry.dump().size() + 24 + 1;
}

}  // namespace

std::string TrackingStore::get_or_create_experiment(const std::string& name) {
  if (auto experiment = get_experiment_by_name(name)) {
    return experiment->experiment_id;
  }
  try {
    return create_experiment(name);
  } catch (const MlflowError& error) {
    if (error.error_code() != kResourceAlreadyExists) {
      throw;
    }
  }
  // Another client created it between the two calls.
  if (auto experiment = get_experiment_by_name(name)) {
    return experiment->experiment_id;
  }
  throw MlflowError("experiment '" + name +
                        "' exists but cannot be read; it may be deleted: restore it or choose "
                        "another experiment name",
                    kResourceDoesNotExist);
}

std::unique_ptr<TrackingStore> open_tracking_store(const TrackingConfig& config) {
  if (config.is_rest) {
    return std::make_unique<RestTrackingStore>(config.rest);
  }
  return std::make_unique<FileTrackingStore>(config.file_root);
}

std::vector<LogBatchChunk> split_log_batch(const std::vector<Metric>& metrics, const Params& params,
                                           const Tags& tags) {
  std::vector<LogBatchChunk> chunks;
  auto metric = metrics.begin();
  auto param = params.begin();
  auto tag = tags.begin();
  while (metric != metrics.end() || param != params.end() || tag != tags.end()) {
    LogBatchChunk chunk;
    std::size_t entries = 0;
    std::size_t bytes = kBatchEnvelopeBytes;
    // A chunk takes at least one entry, so that an entry larger than the budget still goes.
    auto fits = [&](std::size_t entry_bytes) {
      return entries < kMaxEntriesPerBatch &&
             (entries == 0 || bytes + entry_bytes <= kMaxBatchRequestBytes);
    };
    while (param != params.end() && chunk.params.size() < kMaxParamsPerBatch &&
           fits(key_value_bytes(param->first, param->second))) {
      bytes += key_value_bytes(param->first, param->second);
      chunk.params.insert(*param++);
      ++entries;
    }
    while (tag != tags.end() && chunk.tags.size() < kMaxTagsPerBatch &&
           fits(key_value_bytes(tag->first, tag->second))) {
      bytes += key_value_bytes(tag->first, tag->second);
      chunk.tags.insert(*tag++);
      ++entries;
    }
    while (metric != metrics.end() && chunk.metrics.size() < kMaxMetricsPerBatch &&
           fits(metric_bytes(*metric))) {
      bytes += metric_bytes(*metric);
      chunk.metrics.push_back(*metric++);
      ++entries;
    }
    chunks.push_back(std::move(chunk));
  }
  return chunks;
}

void validate_log_batch(const std::vector<Metric>& metrics, const Params& params,
                        const Tags& tags) {
  for (const Metric& metric : metrics) {
    validate_key("metric", metric.key);
    if (metric.timestamp_ms < 0) {
      throw MlflowError("metric '" + metric.key + "' has a negative timestamp " +
                            std::to_string(metric.timestamp_ms),
                        kInvalidParameterValue);
    }
  }
  for (const auto& [key, value] : params) {
    validate_key("param", key);
    validate_value_length("param", key, value, kMaxParamValueLength);
  }
  for (const auto& [key, value] : tags) {
    validate_key("tag", key);
    validate_value_length("tag", key, value, kMaxTagValueLength);
  }
}

}  // namespace recsys::tracking
