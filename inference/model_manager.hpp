#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "inference/connection_pool.hpp"
#include "inference/served_model.hpp"
#include "inference/service_metrics.hpp"

namespace recsys::inference {

struct ModelManagerOptions {
  // How often the published version is checked; 0 checks only at start and on
  // POST /admin/reload.
  std::chrono::milliseconds reload_interval{10'000};
  // Registry alias reported as the champion in GET /model and the metrics, in the form
  // models:/<name>@<alias>; "" turns the registry lookup off.
  std::string champion_uri = "models:/movielens-recommender@champion";
  // MLflow tracking URI of the registry; "" reads MLFLOW_TRACKING_URI, else ./mlruns.
  std::string tracking_uri;
};

// A model version as the MLflow registry names it.
struct RegistryVersion {
  std::string name;
  std::string version;
  std::string run_id;
};

// Follows the served version in PostgreSQL: loads it at start, checks for a newly published
// one at every interval and on request, and swaps the in-memory model atomically, so that a
// request runs wholly on the old or wholly on the new version.
class ModelManager {
 public:
  ModelManager(ConnectionPool& pool, ServiceMetrics& metrics, ModelManagerOptions options);
  ~ModelManager();
  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // The model served now; null until a version is published and loaded.
  std::shared_ptr<const ServedModel> current() const { return current_.load(); }
  // The registry's champion as last read; nullopt when unknown or the lookup is off.
  std::optional<RegistryVersion> champion() const;

  enum class Outcome { loaded, unchanged, nothing_published };
  struct ReloadResult {
    Outcome outcome = Outcome::unchanged;
    std::shared_ptr<const ServedModel> model;  // The model served after the reload.
  };
  // Checks the published version and loads it when it differs from the current one.
  // `reason` ("start", "poll", "admin", ...) goes to the log. Throws DatabaseUnavailable when
  // the database cannot be reached and recsys::Error when loading fails; the current model
  // stays in place in both cases.
  ReloadResult reload(const std::string& reason);

  // Reads the champion from the registry again; failures are logged and leave it unknown.
  void refresh_champion();

  // Starts the background check every reload_interval; stop_polling() ends it.
  void start_polling();
  void stop_polling();

 private:
  void publish_model_info(const ServedModel& model);

  ConnectionPool& pool_;
  ServiceMetrics& metrics_;
  ModelManagerOptions options_;

  std::atomic<std::shared_ptr<const ServedModel>> current_;
  std::mutex reload_mutex_;  // One reload at a time.

  mutable std::mutex champion_mutex_;
  std::optional<RegistryVersion> champion_;
  std::string champion_error_;  // Last lookup error, logged only when it changes.

  std::mutex poll_mutex_;
  std::condition_variable poll_wakeup_;
  bool stopping_ = false;
  std::thread poller_;
};

// Splits "models:/<name>@<alias>" into name and alias. Throws recsys::Error for any other
// form.
std::pair<std::string, std::string> parse_alias_uri(const std::string& uri);

}  // namespace recsys::inference
