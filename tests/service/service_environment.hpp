#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace recsys::testing {

inline constexpr const char* kModelName = "movielens-recommender";

// The real components of the end-to-end tests, set up on first use and torn down when the
// test program ends. The PostgreSQL cluster with pgvector is started by scripts/local-db.sh in
// a temporary directory, on a free port other than the script's default, and migrated by
// `recsys db migrate`. The models are trained by the training library on the synthetic catalog
// of test_models.hpp.
class ServiceEnvironment {
 public:
  // Starts the cluster on the first call; throws std::runtime_error with the script's output
  // when it cannot.
  static ServiceEnvironment& get();

  const std::string& database_url() const { return database_url_; }
  const std::filesystem::path& work_directory() const { return work_directory_; }
  const Dataset& dataset() const { return dataset_; }

  // Returns the directory of a model of `model_type` trained on the synthetic catalog, training
  // it on the first call. Each `variant` uses another seed, so two variants differ.
  std::filesystem::path model_directory(const std::string& model_type, int variant = 0);

  // Runs `recsys publish` for `model_directory` as `version`, starting the cluster first if a
  // failed test left it stopped; throws with the command's output on failure.
  void publish(const std::filesystem::path& model_directory, const std::string& version);

  // Stops and starts the cluster with scripts/local-db.sh (fast shutdown).
  void stop_database();
  void start_database();

  // Stops the cluster and removes the temporary directory (called at program end), unless
  // RECSYS_TEST_KEEP_DIR is set, which keeps the service logs for a look after a failure.
  void tear_down();

 private:
  ServiceEnvironment();
  std::string script(const std::string& command) const;

  std::filesystem::path work_directory_;
  int port_ = 0;
  std::string database_url_;
  Dataset dataset_;
  bool running_ = false;
};

// Path of the recsys program under test.
std::string recsys_binary();

}  // namespace recsys::testing
