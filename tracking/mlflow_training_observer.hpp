#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tracking/artifact_repository.hpp"
#include "tracking/entities.hpp"
#include "tracking/model_registration.hpp"
#include "tracking/tracking_config.hpp"
#include "tracking/tracking_store.hpp"
#include "train/training_observer.hpp"

namespace recsys::tracking {

// Options of `recsys train` that concern MLflow.
struct MlflowTrackingOptions {
  std::string tracking_uri;  // Empty: MLFLOW_TRACKING_URI, then ./mlruns.
  std::string experiment_name = "movielens";
  std::string run_name;         // Empty: "<model_type>-<UTC time>".
  bool register_model = false;  // After a successful run, register it and maybe promote it.
  std::string registered_model_name = "movielens-recommender";
  std::string promotion_metric = "ndcg_at_10";
  bool force_promotion = false;
};

// Logs one `recsys train` run to MLflow:
// - on_start creates the experiment if needed and a run. The run is tagged with
//   mlflow.runName, mlflow.user, mlflow.source.*, the git commit, host, software version,
//   data set name, fingerprint and split. Every hyperparameter becomes a param, and the data
//   set a run input with context "training".
// - on_iteration logs per-iteration training metrics with their step, sent in batches.
// - on_success logs the evaluation metrics, the model directory as the MLflow Model `model`
//   (MLmodel written into it and uploaded last) and the report as `evaluation.json`. Then the
//   run is FINISHED, and registered when the options ask for it.
// - on_failure records the error as the tag recsys.error and sets status KILLED for SIGINT
//   and SIGTERM, FAILED otherwise. It logs and swallows its own errors, so the original error
//   stays.
class MlflowTrainingObserver : public TrainingObserver {
 public:
  explicit MlflowTrainingObserver(MlflowTrackingOptions options);

  void on_start(const TrainingRunInfo& info) override;
  void on_iteration(int step, const std::map<std::string, double>& metrics) override;
  void on_success(const std::map<std::string, double>& metrics,
                  const std::filesystem::path& model_dir,
                  const std::filesystem::path& evaluation_report) override;
  void on_failure(const std::string& error, bool killed) override;

  // Empty until on_start has created the run.
  const std::string& run_id() const { return run_.run_id; }
  const std::string& experiment_id() const { return run_.experiment_id; }
  // Set after on_success when the options asked for registration.
  const std::optional<RegistrationResult>& registration() const { return registration_; }

 private:
  void flush_metrics();
  void upload_model(const std::filesystem::path& model_dir,
                    const std::filesystem::path& evaluation_report);
  void end_run(RunStatus status, const std::string& error);

  MlflowTrackingOptions options_;
  TrackingConfig config_;
  std::unique_ptr<TrackingStore> store_;
  RunInfo run_;
  bool ended_ = false;
  std::vector<Metric> pending_metrics_;
  std::chrono::steady_clock::time_point last_flush_;
  std::optional<RegistrationResult> registration_;
};

// Builds the observer that `recsys train` passes to training. Resolves the tracking URI now,
// so an invalid URI fails before training starts. The first request is made in on_start.
std::unique_ptr<MlflowTrainingObserver> make_mlflow_training_observer(
    const MlflowTrackingOptions& options);

}  // namespace recsys::tracking
