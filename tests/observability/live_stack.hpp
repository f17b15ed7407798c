#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "observability/child_process.hpp"
#include "observability/prometheus_server.hpp"

namespace recsys::testing {

// The served pipeline on this machine, every part real and on loopback. It runs a private
// PostgreSQL cluster with pgvector (scripts/local-db.sh on a free port) and a model trained on
// MovieLens 100k, registered as version 1 and champion of movielens-recommender in a private
// MLflow file store, and published with the recsys program. `recsys serve` runs on a free
// port and reads the champion from that registry every second. Prometheus scrapes the
// service with the repository's configuration and rules.
class LiveStack {
 public:
  // Builds the stack from the MovieLens 100k copy in `movielens_dir`; throws with the
  // failing command's output when a step fails.
  explicit LiveStack(const std::filesystem::path& movielens_dir);
  ~LiveStack();
  LiveStack(const LiveStack&) = delete;
  LiveStack& operator=(const LiveStack&) = delete;

  const std::string& service_address() const { return service_address_; }
  // Root of the MLflow file store that contains the registry.
  const std::filesystem::path& tracking_root() const { return tracking_root_; }
  PrometheusServer& prometheus() { return *prometheus_; }

  // Sends `rounds` rounds of requests to the service, one second apart, so that several
  // scrapes see the counters grow: recommendations for known users, an unknown user (404),
  // movie lookups, the health endpoints and an unknown path.
  void send_traffic(int rounds);

  // Waits until the query returns at least one series; returns false after `attempts`.
  bool wait_for_data(const std::string& expr, int attempts = 120);
  // Waits until the query returns no series; returns false after `attempts`.
  bool wait_for_no_data(const std::string& expr, int attempts = 120);

  // The body of GET /metrics on the service.
  std::string scrape_service();

 private:
  void start_database();
  void publish_model(const std::filesystem::path& movielens_dir);
  void start_service();

  std::unique_ptr<TemporaryDirectory> work_;
  std::filesystem::path database_dir_;
  std::string database_url_;
  std::filesystem::path tracking_root_;
  bool database_started_ = false;
  int service_port_ = 0;
  std::string service_address_;
  std::unique_ptr<ChildProcess> service_;
  std::unique_ptr<PrometheusServer> prometheus_;
};

}  // namespace recsys::testing
