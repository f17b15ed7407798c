#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tracking/entities.hpp"
#include "tracking/tracking_config.hpp"

namespace recsys::tracking {

// MLflow's limits for one log-batch request (mlflow/utils/validation.py, MLflow 2.x): at most
// 1000 metrics, 100 params and 100 tags, and 1000 entries in total.
inline constexpr std::size_t kMaxMetricsPerBatch = 1000;
inline constexpr std::size_t kMaxParamsPerBatch = 100;
inline constexpr std::size_t kMaxTagsPerBatch = 100;
inline constexpr std::size_t kMaxEntriesPerBatch = 1000;
// MAX_BATCH_LOG_REQUEST_SIZE of the same file: the JSON body of one log-batch request.
inline constexpr std::size_t kMaxBatchRequestBytes = 1'000'000;
// Value limits of the same file: params 6000 characters, tags 5000, keys 250.
inline constexpr std::size_t kMaxParamValueLength = 6000;
inline constexpr std::size_t kMaxTagValueLength = 5000;
inline constexpr std::size_t kMaxKeyLength = 250;

// Experiments and runs of MLflow's tracking API. Implemented by the file store (MLflow's
// ./mlruns layout) and by the REST client of a tracking server. Errors are thrown as
// MlflowError with MLflow's error code, or recsys::Error for local I/O failures.
class TrackingStore {
 public:
  virtual ~TrackingStore() = default;

  // The active experiment named `name`, or nullopt.
  virtual std::optional<Experiment> get_experiment_by_name(const std::string& name) = 0;
  // Creates an experiment and returns its id. Throws RESOURCE_ALREADY_EXISTS if the name is
  // taken.
  virtual std::string create_experiment(const std::string& name) = 0;
  // Creates a RUNNING run and adds the mlflow.runName tag as MLflow does.
  virtual RunInfo create_run(const std::string& experiment_id, const std::string& run_name,
                             std::int64_t start_time_ms, const Tags& tags) = 0;
  // Logs metrics, params and tags, split into requests within MLflow's batch limits.
  virtual void log_batch(const std::string& run_id, const std::vector<Metric>& metrics,
                         const Params& params, const Tags& tags) = 0;
  virtual void log_inputs(const std::string& run_id, const std::vector<DatasetInput>& datasets) = 0;
  virtual void update_run(const std::string& run_id, RunStatus status,
                          std::int64_t end_time_ms) = 0;
  virtual Run get_run(const std::string& run_id) = 0;

  // The experiment id for `name`, creating the experiment when missing. A concurrent creator
  // (RESOURCE_ALREADY_EXISTS) is handled by reading the experiment again.
  std::string get_or_create_experiment(const std::string& name);
};

// Opens the backend that `config` names. The REST store does no request until first used.
std::unique_ptr<TrackingStore> open_tracking_store(const TrackingConfig& config);

// Splits a batch into requests that each respect MLflow's log-batch limits, the request size
// included.
struct LogBatchChunk {
  std::vector<Metric> metrics;
  Params params;
  Tags tags;
};
std::vector<LogBatchChunk> split_log_batch(const std::vector<Metric>& metrics, const Params& params,
                                           const Tags& tags);

// Checks keys and values as MLflow's server does and throws MlflowError
// (INVALID_PARAMETER_VALUE) naming the first invalid key.
void validate_log_batch(const std::vector<Metric>& metrics, const Params& params, const Tags& tags);

}  // namespace recsys::tracking
