#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace recsys {

// What a training run is about, reported before the first iteration.
struct TrainingRunInfo {
  std::map<std::string, std::string> params;  // Every hyperparameter, as text.
  std::map<std::string, std::string> tags;    // git commit, data set name and fingerprint, ...
  std::string dataset_name;
  std::string dataset_fingerprint;            // "sha256:<hex>"
  std::string dataset_source;                 // Path or URL the data was read from.
  std::string split;
};

// Receives the events of one `recsys train` run; experiment tracking implements it. Every
// callback may throw recsys::Error, which fails the run.
class TrainingObserver {
 public:
  virtual ~TrainingObserver() = default;

  virtual void on_start(const TrainingRunInfo& info) = 0;
  // Training metrics of one iteration (for example "train_loss"); step counts from 1.
  virtual void on_iteration(int step, const std::map<std::string, double>& metrics) = 0;
  // Called after evaluation, once the model directory and the evaluation report are written.
  virtual void on_success(const std::map<std::string, double>& metrics,
                          const std::filesystem::path& model_dir,
                          const std::filesystem::path& evaluation_report) = 0;
  // Called when the run fails or is interrupted; `killed` is true for SIGINT and SIGTERM.
  virtual void on_failure(const std::string& error, bool killed) = 0;
};

}  // namespace recsys
