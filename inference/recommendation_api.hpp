#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "inference/connection_pool.hpp"
#include "inference/metrics_registry.hpp"
#include "inference/model_manager.hpp"
#include "inference/router.hpp"
#include "inference/service_metrics.hpp"

namespace recsys::inference {

// The endpoints of `recsys serve`: recommendations for known and new users, movies, similar
// movies, health, readiness, the served model, metrics, the OpenAPI description and the
// reload trigger. Handlers throw ApiError for client errors; add_routes() wraps each one so
// that every error leaves as a JSON body with the right status.
class RecommendationApi {
 public:
  RecommendationApi(ConnectionPool& pool, ModelManager& models, metrics::Registry& registry,
                    ServiceMetrics& metrics);

  // Registers every endpoint, then GET /openapi.json describing them.
  void add_routes(Router& router);

  // True when a model is loaded and the last database contact succeeded.
  bool ready() const;

 private:
  void recommend_for_user(const httplib::Request& request, httplib::Response& response,
                          const PathParameters& parameters);
  void recommend_for_new_user(const httplib::Request& request, httplib::Response& response);
  void movie(const httplib::Request& request, httplib::Response& response,
             const PathParameters& parameters);
  void similar_movies(const httplib::Request& request, httplib::Response& response,
                      const PathParameters& parameters);
  void readiness(httplib::Response& response);
  void model_description(httplib::Response& response);
  void reload(httplib::Response& response);

  std::shared_ptr<const ServedModel> require_model() const;

  // Runs `query(connection, model)` on a pooled connection, timing it as `name`. When the
  // query fails because a newer version replaced `model` (its tables were dropped), reloads
  // and runs it once more on the new version, updating `model`. Database failures become
  // 503 errors.
  template <typename Query>
  auto run_query(const char* name, std::shared_ptr<const ServedModel>& model, Query&& query)
      -> decltype(query(std::declval<db::Connection&>(), *model));

  ConnectionPool& pool_;
  ModelManager& models_;
  metrics::Registry& registry_;
  ServiceMetrics& metrics_;
};

}  // namespace recsys::inference
