#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace recsys::tracking {

// The entities of MLflow's tracking and registry APIs (mlflow/protos/service.proto and
// model_registry.proto, MLflow 2.x), reduced to the fields this project reads or writes.

using Params = std::map<std::string, std::string>;
using Tags = std::map<std::string, std::string>;

// Values match service.proto's RunStatus enum, which the file store writes as integers.
enum class RunStatus { kRunning = 1, kScheduled = 2, kFinished = 3, kFailed = 4, kKilled = 5 };

std::string to_string(RunStatus status);
// Parses "RUNNING", "FINISHED", ... and throws recsys::Error for other text.
RunStatus parse_run_status(const std::string& text);
bool is_terminated(RunStatus status);

struct Metric {
  std::string key;
  double value = 0.0;  // NaN and infinities are allowed, as in MLflow.
  std::int64_t timestamp_ms = 0;
  std::int64_t step = 0;
};

struct Experiment {
  std::string experiment_id;
  std::string name;
  std::string artifact_location;
  std::string lifecycle_stage;  // "active" or "deleted".
};

struct RunInfo {
  std::string run_id;
  std::string experiment_id;
  std::string run_name;
  std::string user_id;
  RunStatus status = RunStatus::kRunning;
  std::int64_t start_time_ms = 0;
  std::optional<std::int64_t> end_time_ms;
  std::string artifact_uri;
  std::string lifecycle_stage = "active";
};

struct Run {
  RunInfo info;
  std::map<std::string, double> metrics;  // The latest value of each metric.
  Params params;
  Tags tags;
};

// A data set reference, logged as a run input (service.proto Dataset).
struct Dataset {
  std::string name;
  std::string digest;       // MLflow accepts at most 36 characters.
  std::string source_type;  // For example "local".
  std::string source;       // JSON such as {"uri": "/data/ml-100k"}.
  std::optional<std::string> schema;
  std::optional<std::string> profile;
};

struct DatasetInput {
  Dataset dataset;
  Tags tags;  // For example {"mlflow.data.context": "training"}.
};

// One entry of an artifact listing, with `path` relative to the listed repository root.
struct FileInfo {
  std::string path;
  bool is_dir = false;
  std::int64_t file_size = 0;
};

enum class ModelVersionStatus { kPendingRegistration = 1, kFailedRegistration = 2, kReady = 3 };

std::string to_string(ModelVersionStatus status);
ModelVersionStatus parse_model_version_status(const std::string& text);

struct ModelVersion {
  std::string name;
  std::string version;  // A decimal number, as text like in the REST API.
  std::int64_t creation_timestamp = 0;
  std::int64_t last_updated_timestamp = 0;
  std::string current_stage = "None";
  std::string description;
  std::string source;  // Artifact URI of the model directory.
  std::string run_id;
  ModelVersionStatus status = ModelVersionStatus::kReady;
  std::string status_message;
  Tags tags;
  std::vector<std::string> aliases;
};

struct RegisteredModel {
  std::string name;
  std::int64_t creation_timestamp = 0;
  std::int64_t last_updated_timestamp = 0;
  std::string description;
  Tags tags;
  std::map<std::string, std::string> aliases;  // alias -> version
};

}  // namespace recsys::tracking
