#pragma once

#include <memory>

#include "tracking/rest_client.hpp"
#include "tracking/tracking_store.hpp"

namespace recsys::tracking {

// The tracking API of an MLflow server over REST (/api/2.0/mlflow/..., service.proto).
// Creating a run is not idempotent, so runs/create carries the tag recsys.create_request with
// a random key, and a retry first searches for a run with that key (runs/search).
class RestTrackingStore : public TrackingStore {
 public:
  explicit RestTrackingStore(const RestClientOptions& options);

  std::optional<Experiment> get_experiment_by_name(const std::string& name) override;
  std::string create_experiment(const std::string& name) override;
  RunInfo create_run(const std::string& experiment_id, const std::string& run_name,
                     std::int64_t start_time_ms, const Tags& tags) override;
  void log_batch(const std::string& run_id, const std::vector<Metric>& metrics,
                 const Params& params, const Tags& tags) override;
  void log_inputs(const std::string& run_id, const std::vector<DatasetInput>& datasets) override;
  void update_run(const std::string& run_id, RunStatus status, std::int64_t end_time_ms) override;
  Run get_run(const std::string& run_id) override;

 private:
  std::unique_ptr<RestClient> client_;
};

// A metric value in protobuf's JSON mapping: a number, or "NaN", "Infinity", "-Infinity".
nlohmann::json metric_value_to_json(double value);
// Reads a double written by protobuf's JSON mapping (a number or one of the strings above).
double metric_value_from_json(const nlohmann::json& value);
// An int64 field, which protobuf's JSON mapping may send as a number or a decimal string.
std::int64_t int64_from_json(const nlohmann::json& value);

}  // namespace recsys::tracking
