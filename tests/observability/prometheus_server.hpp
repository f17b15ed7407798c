#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "observability/child_process.hpp"

namespace recsys::testing {

struct PrometheusServerOptions {
  std::filesystem::path config_file;     // The repository's prometheus.yml.
  std::string recommender_target;        // host:port of the recommender to scrape.
  std::filesystem::path work_directory;  // Receives the config, the storage and the log.
  std::string program = "prometheus";
  // Scrape and rule evaluation interval, short so that a test gets data within seconds.
  std::chrono::seconds interval{1};
};

// The real Prometheus server on a free loopback port, configured from the repository's
// prometheus.yml with only the targets, the intervals and the rule file paths changed.
// The destructor stops it by its process id.
class PrometheusServer {
 public:
  explicit PrometheusServer(PrometheusServerOptions options);

  const std::string& address() const { return address_; }
  const std::filesystem::path& config_file() const { return config_file_; }
  ChildProcess& process() { return *process_; }

  // Waits until /-/ready returns 200, or throws with the end of the log.
  void wait_until_ready(int attempts = 300);

  // Runs an instant query through /api/v1/query and returns the decoded JSON response,
  // including responses with "status": "error".
  nlohmann::json query(const std::string& expr);

  // Sends GET to an API path such as /api/v1/rules and returns the decoded JSON response.
  nlohmann::json get(const std::string& path);

 private:
  void write_config(const PrometheusServerOptions& options);

  int port_ = 0;
  std::string address_;
  std::filesystem::path config_file_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace recsys::testing
