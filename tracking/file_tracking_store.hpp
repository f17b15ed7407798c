#pragma once

#include <filesystem>

#include "tracking/tracking_store.hpp"

namespace recsys::tracking {

// MLflow's file store, written in the layout of mlflow/store/tracking/file_store.py (MLflow
// 2.x) so that `mlflow ui --backend-store-uri <root>` shows the runs:
//
//   <root>/<experiment_id>/meta.yaml                    experiment, "0" is "Default"
//   <root>/<experiment_id>/<run_id>/meta.yaml           run info, status as an integer
//   <root>/<experiment_id>/<run_id>/metrics/<key>       lines "<timestamp_ms> <value> <step>"
//   <root>/<experiment_id>/<run_id>/params/<key>        the value, no newline
//   <root>/<experiment_id>/<run_id>/tags/<key>          the value, no newline
//   <root>/<experiment_id>/<run_id>/artifacts/          the run's artifact root
//   <root>/<experiment_id>/<run_id>/inputs/<id>/meta.yaml       link to a data set
//   <root>/<experiment_id>/datasets/<id>/meta.yaml      data set, id = md5(name + digest)
//   <root>/.trash/                                      deleted experiments
//
// Metadata files are replaced through a temporary file and a rename. Metric lines are
// appended with one write each. Only writes create the root, so reading a store that does
// not exist finds nothing and leaves no directory behind.
class FileTrackingStore : public TrackingStore {
 public:
  // Opens the store at `root`, which need not exist. Throws recsys::Error when `root` exists
  // but is not a directory.
  explicit FileTrackingStore(std::filesystem::path root);

  // Creates `root` with the Default experiment when it does not exist, as MLflow does, and
  // the .trash folder. Every write calls it first.
  void initialize();

  std::optional<Experiment> get_experiment_by_name(const std::string& name) override;
  std::string create_experiment(const std::string& name) override;
  RunInfo create_run(const std::string& experiment_id, const std::string& run_name,
                     std::int64_t start_time_ms, const Tags& tags) override;
  void log_batch(const std::string& run_id, const std::vector<Metric>& metrics,
                 const Params& params, const Tags& tags) override;
  void log_inputs(const std::string& run_id, const std::vector<DatasetInput>& datasets) override;
  void update_run(const std::string& run_id, RunStatus status, std::int64_t end_time_ms) override;
  Run get_run(const std::string& run_id) override;

  const std::filesystem::path& root() const { return root_; }

 private:
  std::vector<std::filesystem::path> experiment_directories() const;
  std::optional<Experiment> read_experiment(const std::filesystem::path& directory) const;
  void write_experiment(const std::string& experiment_id, const std::string& name,
                        const std::filesystem::path& directory) const;
  std::filesystem::path find_run_directory(const std::string& run_id) const;
  RunInfo read_run_info(const std::filesystem::path& run_directory) const;
  void write_run_info(const std::filesystem::path& run_directory, const RunInfo& info,
                      bool with_deleted_time) const;

  std::filesystem::path root_;
};

// Throws recsys::Error when `root` exists but is not a directory, so no file store can be
// there.
void check_store_root(const std::filesystem::path& root);

}  // namespace recsys::tracking
