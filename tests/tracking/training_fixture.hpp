#pragma once

#include <map>
#include <string>

#include "test_util.hpp"
#include "tracking/mlflow_training_observer.hpp"

namespace recsys::testing {

// Runs the MLflow observer through one successful fake training run against `tracking_uri`
// and returns the run id. The model directory is written under `work`.
inline std::string log_fake_training_run(const std::string& tracking_uri,
                                         const std::filesystem::path& work,
                                         const std::map<std::string, double>& metrics,
                                         const std::string& fingerprint = kFingerprint,
                                         const std::string& split = "random-80-20") {
  tracking::MlflowTrackingOptions options;
  options.tracking_uri = tracking_uri;
  auto observer = tracking::make_mlflow_training_observer(options);
  observer->on_start(fake_run_info(fingerprint, split));
  observer->on_iteration(1, {{"train_loss", 0.9}});
  observer->on_iteration(2, {{"train_loss", 0.7}});
  static int counter = 0;
  const std::filesystem::path model_dir = work / ("model-" + std::to_string(++counter));
  write_fake_model_directory(model_dir, fingerprint);
  observer->on_success(metrics, model_dir, model_dir / "evaluation.json");
  return observer->run_id();
}

}  // namespace recsys::testing
