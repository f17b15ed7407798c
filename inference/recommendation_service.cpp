#include "inference/recommendation_service.hpp"

#include <spdlog/spdlog.h>

#include "inference/process_metrics.hpp"

namespace recsys::inference {

namespace {

ConnectionPoolOptions pool_options(const ServiceOptions& options) {
  ConnectionPoolOptions database = options.database;
  database.size = options.http.threads;
  return database;
}

}  // namespace

RecommendationService::RecommendationService(ServiceOptions options)
    : options_(std::move(options)),
      metrics_(registry_),
      pool_(pool_options(options_)),
      models_(pool_, metrics_, options_.models),
      api_(pool_, models_, registry_, metrics_) {
  metrics::register_process_metrics(registry_);
  api_.add_routes(router_);
  server_ = std::make_unique<HttpServer>(options_.http, router_, metrics_, [this] {
    auto model = models_.current();
    return model ? model->version.model_version : std::string("-");
  });
}

RecommendationService::~RecommendationService() {
  models_.stop_polling();
}

int RecommendationService::start() {
  int open = pool_.connect_all();
  spdlog::info("database pool: {} of {} connections open to {}", open, options_.http.threads,
               db::redact_connection_string(options_.database.database_url));
  reload("start");
  if (!models_.current()) {
    spdlog::warn(
        "no model is served yet: requests get 503 until one is published and found "
        "by the next check (every {} ms) or POST /admin/reload",
        options_.models.reload_interval.count());
  }
  models_.start_polling();
  return server_->bind();
}

void RecommendationService::serve() {
  server_->serve();
  models_.stop_polling();
}

void RecommendationService::stop() {
  server_->stop();
}

void RecommendationService::reload(const std::string& reason) {
  try {
    models_.reload(reason);
    models_.refresh_champion();
  } catch (const Error& error) {
    spdlog::warn("model check ({}) failed: {}", reason, error.what());
  }
}

}  // namespace recsys::inference
