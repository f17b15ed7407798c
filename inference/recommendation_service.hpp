#pragma once

#include <memory>

#include "inference/connection_pool.hpp"
#include "inference/http_server.hpp"
#include "inference/metrics_registry.hpp"
#include "inference/model_manager.hpp"
#include "inference/recommendation_api.hpp"
#include "inference/router.hpp"
#include "inference/service_metrics.hpp"

namespace recsys::inference {

// Options of `recsys serve`; the defaults are those of the command line.
struct ServiceOptions {
  HttpServerOptions http;
  ConnectionPoolOptions database;  // database.size is set to http.threads.
  ModelManagerOptions models;
};

// `recsys serve` assembled: metrics, connection pool, model manager, API and HTTP server.
class RecommendationService {
 public:
  explicit RecommendationService(ServiceOptions options);
  ~RecommendationService();

  // Opens the database connections, loads the served model and binds the port; returns the
  // port. A database that is down or has nothing published is logged, not fatal: the
  // service answers 503 until the model check succeeds. Throws recsys::Error when the port
  // cannot be bound.
  int start();
  // Serves until stop(), then finishes the requests in progress and stops the model checks.
  void serve();
  // Stops serving; safe from any thread and more than once (see HttpServer::stop).
  void stop();
  // Checks for a newly published version now (as POST /admin/reload does), logging failures.
  void reload(const std::string& reason);

 private:
  ServiceOptions options_;
  metrics::Registry registry_;
  ServiceMetrics metrics_;
  ConnectionPool pool_;
  ModelManager models_;
  Router router_;
  RecommendationApi api_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace recsys::inference
