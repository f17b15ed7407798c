#pragma once

#include <chrono>
#include <memory>
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
  bool register_model = false;  // `recsys train --register` calls register_run after training.
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
//   run is FINISHED. Registration is a separate step, register_run.
// - on_failure records the error as the tag recsys.error and sets status KILLED for SIGINT
//   and SIGTERM, FAILED otherwise. It logs and swallows its own errors, so the original error
//   stays.
// Once the run exists, every error the observer throws ends it first: FAILED, or KILLED for
// SIGINT and SIGTERM. on_success checks InterruptGuard's flag (train/interrupt.hpp) between
// artifact uploads, so it expects to run inside run_training, which holds the guard. A run
// that is still RUNNING when the observer is destroyed is ended FAILED.
class MlflowTrainingObserver : public TrainingObserver {
 public:
  explicit MlflowTrainingObserver(MlflowTrackingOptions options);
  ~MlflowTrainingObserver() override;
  MlflowTrainingObserver(const MlflowTrainingObserver&) = delete;
  MlflowTrainingObserver& operator=(const MlflowTrainingObserver&) = delete;

  void on_start(const TrainingRunInfo& info) override;
  void on_iteration(int step, const std::map<std::string, double>& metrics) override;
  void on_success(const std::map<std::string, double>& metrics,
                  const std::filesystem::path& model_dir,
                  const std::filesystem::path& evaluation_report) override;
  void on_failure(const std::string& error, bool killed) override;

  // Empty until on_start has created the run.
  const std::string& run_id() const { return run_.run_id; }
  const std::string& experiment_id() const { return run_.experiment_id; }
  // True once on_success has marked the run FINISHED.
  bool finished() const { return finished_; }

  // Returns the options that register this run: the registered model name, promotion metric
  // and force flag of the tracking options, at the resolved tracking URI.
  RegisterOptions registration_options() const;
  // Registers the FINISHED run's model (see register_model). Call it after run_training has
  // returned. A failure leaves the run FINISHED and throws the registration's error.
  RegistrationResult register_run() const;

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
  bool finished_ = false;
  std::vector<Metric> pending_metrics_;
  std::chrono::steady_clock::time_point last_flush_;
};

// Builds the observer that `recsys train` passes to training. Resolves the tracking URI now,
// so an invalid URI fails before training starts. The first request is made in on_start.
std::unique_ptr<MlflowTrainingObserver> make_mlflow_training_observer(
    const MlflowTrackingOptions& options);

}  // namespace recsys::tracking
