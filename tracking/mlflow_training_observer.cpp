#include "tracking/mlflow_training_observer.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdlib>
#include <initializer_list>

#include "core/error.hpp"
#include "recsys/version.hpp"
#include "tracking/file_model_registry.hpp"
#include "tracking/ids.hpp"
#include "tracking/local_files.hpp"
#include "tracking/mlmodel.hpp"
#include "tracking/tag_names.hpp"
#include "train/interrupt.hpp"

namespace recsys::tracking {

namespace fs = std::filesystem;

namespace {

constexpr const char* kModelArtifactPath = "model";
constexpr const char* kEvaluationArtifact = "evaluation.json";
// Training metrics are sent at least this often, so the MLflow UI shows progress.
constexpr std::chrono::seconds kMetricFlushInterval{1};

std::string host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) {
    return "unknown";
  }
  return name.data();
}

std::string user_name() {
  const char* user = std::getenv("USER");
  return user != nullptr && *user != '\0' ? user : "unknown";
}

// MLflow limits a digest to 36 characters, so the full fingerprint goes into the profile.
std::string dataset_digest(const std::string& fingerprint) {
  const std::size_t colon = fingerprint.find(':');
  const std::string hex = colon == std::string::npos ? fingerprint : fingerprint.substr(colon + 1);
  return hex.substr(0, 32);
}

DatasetInput dataset_input(const TrainingRunInfo& info) {
  DatasetInput input;
  input.dataset.name = info.dataset_name;
  input.dataset.digest = dataset_digest(info.dataset_fingerprint);
  const bool remote =
      info.dataset_source.starts_with("http://") || info.dataset_source.starts_with("https://");
  input.dataset.source_type = remote ? "http" : "local";
  input.dataset.source = nlohmann::json{{remote ? "url" : "uri", info.dataset_source}}.dump();
  input.dataset.profile =
      nlohmann::json{{"fingerprint", info.dataset_fingerprint}, {"split", info.split}}.dump();
  input.tags[kDatasetContextTag] = "training";
  return input;
}

// The value of the first of `keys` found in `maps`, searched in order, or `fallback`.
std::string first_value(std::initializer_list<const std::map<std::string, std::string>*> maps,
                        std::initializer_list<const char*> keys, const std::string& fallback) {
  for (const auto* map : maps) {
    for (const char* key : keys) {
      const auto found = map->find(key);
      if (found != map->end() && !found->second.empty()) {
        return found->second;
      }
    }
  }
  return fallback;
}

std::string signal_name(int signal_number) {
  switch (signal_number) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "signal " + std::to_string(signal_number);
  }
}

std::string truncate(const std::string& text, std::size_t limit) {
  return text.size() <= limit ? text : text.substr(0, limit - 3) + "...";
}

}  // namespace

MlflowTrainingObserver::MlflowTrainingObserver(MlflowTrackingOptions options)
    : options_(std::move(options)), config_(resolve_tracking_config(options_.tracking_uri)) {
  if (options_.experiment_name.empty()) {
    throw Error("invalid MLflow experiment name '': the name must not be empty");
  }
  // A name the registry would reject fails now rather than after training.
  if (options_.register_model && options_.registered_model_name.empty()) {
    throw Error("invalid --registered-model '': the name must not be empty");
  }
  if (options_.register_model && !config_.is_rest) {
    validate_registered_model_name(options_.registered_model_name);
  }
}

void MlflowTrainingObserver::on_start(const TrainingRunInfo& info) {
  store_ = open_tracking_store(config_);
  const std::string experiment_id = store_->get_or_create_experiment(options_.experiment_name);

  std::string run_name = options_.run_name;
  if (run_name.empty()) {
    run_name = first_value({&info.tags, &info.params}, {"model_type", "model"}, "model") + "-" +
               utc_time_compact_string();
  }
  Tags tags = info.tags;
  tags[kRunNameTag] = run_name;
  tags[kUserTag] = user_name();
  tags[kSourceTypeTag] = "LOCAL";
  tags[kSourceNameTag] = "recsys train";
  tags[kGitCommitTag] = first_value({&info.tags}, {kGitCommitTag, "git_commit"}, kGitCommit);
  tags[kSoftwareVersionTag] = kVersion;
  tags[kHostTag] = host_name();
  tags[kDatasetNameTag] = info.dataset_name;
  tags[kDatasetFingerprintTag] = info.dataset_fingerprint;
  tags[kSplitTag] = info.split;

  run_ = store_->create_run(experiment_id, run_name, now_milliseconds(), tags);
  ended_ = false;
  finished_ = false;
  last_flush_ = std::chrono::steady_clock::now();
  spdlog::info("MLflow run {} ('{}') started in experiment '{}' at {}", run_.run_id, run_name,
               options_.experiment_name, redact_url(config_.tracking_uri));

  try {
    store_->log_batch(run_.run_id, {}, info.params, {});
    if (!info.dataset_name.empty() && !info.dataset_fingerprint.empty()) {
      store_->log_inputs(run_.run_id, {dataset_input(info)});
    }
  } catch (const std::exception& error) {
    end_run(RunStatus::kFailed, std::string("logging the run to MLflow failed: ") + error.what());
    throw;
  }
}

void MlflowTrainingObserver::on_iteration(int step, const std::map<std::string, double>& metrics) {
  if (!store_) {
    throw Error("MLflow observer received an iteration before on_start");
  }
  const std::int64_t now = now_milliseconds();
  for (const auto& [key, value] : metrics) {
    pending_metrics_.push_back({key, value, now, step});
  }
  const bool due = std::chrono::steady_clock::now() - last_flush_ >= kMetricFlushInterval;
  if (due || pending_metrics_.size() >= kMaxMetricsPerBatch) {
    flush_metrics();
  }
}

void MlflowTrainingObserver::flush_metrics() {
  if (!pending_metrics_.empty()) {
    store_->log_batch(run_.run_id, pending_metrics_, {}, {});
    pending_metrics_.clear();
  }
  last_flush_ = std::chrono::steady_clock::now();
}

void MlflowTrainingObserver::upload_model(const fs::path& model_dir,
                                          const fs::path& evaluation_report) {
  const nlohmann::json mlmodel = write_mlmodel(model_dir, run_.run_id, kModelArtifactPath);
  auto artifacts = open_artifact_repository(run_.artifact_uri, config_);

  // MLmodel goes last: registration treats its presence as proof of a complete upload.
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(model_dir)) {
    if (entry.is_regular_file() && entry.path().filename() != "MLmodel") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    InterruptGuard::throw_if_interrupted();
    const fs::path relative = file.parent_path().lexically_relative(model_dir);
    std::string directory = kModelArtifactPath;
    if (!relative.empty() && relative != ".") {
      directory += "/" + relative.generic_string();
    }
    artifacts->log_artifact(file, directory);
  }
  InterruptGuard::throw_if_interrupted();
  artifacts->log_artifact(model_dir / "MLmodel", kModelArtifactPath);
  spdlog::info("uploaded {} model files to {}/{}", files.size() + 1, run_.artifact_uri,
               kModelArtifactPath);

  if (!evaluation_report.empty()) {
    InterruptGuard::throw_if_interrupted();
    if (evaluation_report.filename() == kEvaluationArtifact) {
      artifacts->log_artifact(evaluation_report, "");
    } else {
      // The artifact keeps a fixed name whatever the local file is called.
      const fs::path staging = fs::temp_directory_path() / ("recsys-" + random_uuid_hex());
      fs::create_directories(staging);
      fs::copy_file(evaluation_report, staging / kEvaluationArtifact);
      try {
        artifacts->log_artifact(staging / kEvaluationArtifact, "");
      } catch (...) {
        fs::remove_all(staging);
        throw;
      }
      fs::remove_all(staging);
    }
  }
  store_->log_batch(run_.run_id, {}, {},
                    {{kLoggedModelsTag, nlohmann::json::array({mlmodel}).dump()}});
}

void MlflowTrainingObserver::on_success(const std::map<std::string, double>& metrics,
                                        const fs::path& model_dir,
                                        const fs::path& evaluation_report) {
  if (!store_) {
    throw Error("MLflow observer received on_success before on_start");
  }
  try {
    InterruptGuard::throw_if_interrupted();
    flush_metrics();
    std::vector<Metric> evaluation;
    const std::int64_t now = now_milliseconds();
    for (const auto& [key, value] : metrics) {
      evaluation.push_back({key, value, now, 0});
    }
    store_->log_batch(run_.run_id, evaluation, {}, {});
    if (model_dir.empty()) {
      spdlog::warn("MLflow run {} has no model directory to log, so it cannot be registered",
                   run_.run_id);
    } else {
      upload_model(model_dir, evaluation_report);
    }
    // This is the last check, because a signal no longer undoes a FINISHED run.
    InterruptGuard::throw_if_interrupted();
    store_->update_run(run_.run_id, RunStatus::kFinished, now_milliseconds());
    ended_ = true;
    finished_ = true;
    spdlog::info("MLflow run {} finished", run_.run_id);
  } catch (const TrainingInterrupted& interrupted) {
    end_run(RunStatus::kKilled, "interrupted by " + signal_name(interrupted.signal_number()) +
                                    " while logging the run to MLflow; its artifacts are "
                                    "incomplete");
    throw;
  } catch (const std::exception& error) {
    end_run(RunStatus::kFailed, std::string("logging the run to MLflow failed: ") + error.what());
    throw;
  }
}

RegisterOptions MlflowTrainingObserver::registration_options() const {
  RegisterOptions registration;
  registration.tracking_uri = config_.tracking_uri;
  registration.run_id = run_.run_id;
  registration.model_name = options_.registered_model_name;
  registration.metric = options_.promotion_metric;
  registration.force = options_.force_promotion;
  return registration;
}

RegistrationResult MlflowTrainingObserver::register_run() const {
  if (!finished_) {
    throw Error("MLflow run " + (run_.run_id.empty() ? std::string("(none)") : run_.run_id) +
                " is not FINISHED, so its model cannot be registered");
  }
  return register_model(registration_options());
}

MlflowTrainingObserver::~MlflowTrainingObserver() {
  try {
    end_run(RunStatus::kFailed, "recsys train stopped before the MLflow run ended");
  } catch (...) {
    // A destructor must not throw, and end_run has logged what it could.
  }
}

void MlflowTrainingObserver::on_failure(const std::string& error, bool killed) {
  end_run(killed ? RunStatus::kKilled : RunStatus::kFailed, error);
}

void MlflowTrainingObserver::end_run(RunStatus status, const std::string& error) {
  if (!store_ || run_.run_id.empty() || ended_) {
    return;
  }
  ended_ = true;
  try {
    flush_metrics();
  } catch (const std::exception& flush_error) {
    pending_metrics_.clear();
    spdlog::error("cannot log the last training metrics of MLflow run {}: {}", run_.run_id,
                  flush_error.what());
  }
  try {
    store_->log_batch(run_.run_id, {}, {}, {{kErrorTag, truncate(error, kMaxTagValueLength)}});
  } catch (const std::exception& tag_error) {
    spdlog::error("cannot record the error on MLflow run {}: {}", run_.run_id, tag_error.what());
  }
  try {
    store_->update_run(run_.run_id, status, now_milliseconds());
    spdlog::warn("MLflow run {} marked {}", run_.run_id, to_string(status));
  } catch (const std::exception& update_error) {
    spdlog::error("cannot mark MLflow run {} {}: {}", run_.run_id, to_string(status),
                  update_error.what());
  }
}

std::unique_ptr<MlflowTrainingObserver> make_mlflow_training_observer(
    const MlflowTrackingOptions& options) {
  return std::make_unique<MlflowTrainingObserver>(options);
}

}  // namespace recsys::tracking
