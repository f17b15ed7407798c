#include "inference/service_metrics.hpp"

namespace recsys::inference {

namespace {

// Database queries take from a fraction of a millisecond (a primary-key lookup) to the
// statement timeout, so the buckets start lower than the request latency buckets.
std::vector<double> query_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
          0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};
}

}  // namespace

ServiceMetrics::ServiceMetrics(metrics::Registry& registry)
    : http_requests(registry.counter("http_requests_total",
                                     "HTTP requests answered, by method, route template and "
                                     "status code.",
                                     {"method", "route", "status"})),
      http_request_duration(registry.histogram(
          "http_request_duration_seconds",
          "Time from the end of the request headers until the response is ready to send, in "
          "seconds.",
          {"method", "route"})),
      inference_duration(registry.histogram(
          "recommender_inference_duration_seconds",
          "Time per recommendation stage in seconds: embed (fold-in of a new user), retrieve "
          "(the vector search) and total.",
          {"stage"}, query_buckets())),
      db_query_duration(registry.histogram("recommender_db_query_duration_seconds",
                                           "Time per database query in seconds, by query.",
                                           {"query"}, query_buckets())),
      model_info(registry.gauge("recommender_model_info",
                                "The model version served, as labels; the value is always 1.",
                                {"name", "version", "run_id"})),
      champion_model_info(registry.gauge(
          "recommender_champion_model_info",
          "The registry's champion model version as last read, as labels; the value is 1.",
          {"name", "version", "run_id"})),
      model_reloads(registry.counter("recommender_model_reloads_total",
                                     "Checks for a newly published model version, by result: "
                                     "loaded, unchanged or failed.",
                                     {"result"})),
      ready(registry.gauge("recommender_ready",
                           "1 when a model is loaded and the database answers (GET /readyz), "
                           "else 0.")),
      db_pool_connections(registry.gauge("recommender_db_pool_connections",
                                         "Database connections of the pool by state: idle, "
                                         "in_use, connecting or disconnected.",
                                         {"state"})),
      db_pool_checkout_timeouts(registry.counter(
          "recommender_db_pool_checkout_timeouts_total",
          "Requests that found every database connection busy for the whole checkout timeout.")),
      db_connect_attempts(registry.counter("recommender_db_connect_attempts_total",
                                           "Attempts to open a database connection, by result.",
                                           {"result"})),
      db_connections_lost(registry.counter(
          "recommender_db_connections_lost_total",
          "Pooled database connections found broken during a query and reopened.")) {}

}  // namespace recsys::inference
