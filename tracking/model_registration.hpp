#pragma once

#include <chrono>
#include <string>

namespace recsys::tracking {

struct RegisterOptions {
  std::string tracking_uri;  // Empty: MLFLOW_TRACKING_URI, then ./mlruns.
  std::string run_id;        // A FINISHED run logged by `recsys train`.
  std::string model_name = "movielens-recommender";
  std::string metric = "ndcg_at_10";  // Decides promotion, see lower_is_better().
  std::string alias = "champion";
  bool force = false;  // Promote even when not better or not comparable.
  std::string artifact_path = "model";
  std::chrono::milliseconds ready_timeout{300'000};  // Wait for status READY at most this.
  std::chrono::milliseconds poll_interval{1'000};
};

struct RegistrationResult {
  std::string model_name;
  std::string version;
  std::string run_id;
  std::string source;             // Artifact URI of the registered model directory.
  bool reused = false;            // True when the run had a version of this model already.
  bool promoted = false;          // The alias now points at `version`.
  std::string previous_champion;  // Version the alias pointed at before, empty if none.
  std::string reason;             // The reason for promoting the version or not.
};

// Registers the `model` artifact of a run as a new version of a registered model, and moves
// the champion alias to it when it beats the current champion (see decide_promotion).
//
// Steps: check that the run is FINISHED and that every model file was uploaded (MLmodel is
// uploaded last), create the registered model when missing, create the version with tags
// recsys.dataset.fingerprint, recsys.dataset.name, recsys.split and metric.<name> for every
// run metric, wait until it is READY, then set the alias in one request. When the run already
// has a version of the model with the same source (see find_version_of_run), that version is
// reused, so running the registration again after a failure creates no duplicate. A failure
// before the alias request leaves the previous champion in place. Throws recsys::Error
// (MlflowError for backend errors) with the reason and what to do.
//
// SIGINT and SIGTERM caught by an InterruptGuard (train/interrupt.hpp) stop the registration
// with TrainingInterrupted at three points: before anything is written, while waiting for
// READY, and just before the alias request. The alias never moves after a signal, and a
// version created before it is reused by the next registration of the run.
RegistrationResult register_model(const RegisterOptions& options);

// The `recsys register` command line that registers `options.run_id` with these options, for
// messages that tell the user how to retry. A file store is named by its absolute path and a
// tracking server by its URL without credentials.
std::string format_register_command(const RegisterOptions& options);

}  // namespace recsys::tracking
