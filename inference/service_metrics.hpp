#pragma once

#include <string>

#include "inference/metrics_registry.hpp"

namespace recsys::inference {

// The metric families of `recsys serve`. Names and labels are part of the service's
// interface: the Prometheus rules and the Grafana dashboard query them.
struct ServiceMetrics {
  explicit ServiceMetrics(metrics::Registry& registry);

  metrics::CounterFamily& http_requests;            // method, route, status
  metrics::HistogramFamily& http_request_duration;  // method, route
  metrics::HistogramFamily& inference_duration;     // stage: embed, retrieve, total
  metrics::HistogramFamily& db_query_duration;      // query
  metrics::GaugeFamily& model_info;                 // name, version, run_id
  metrics::GaugeFamily& champion_model_info;        // name, version, run_id
  metrics::CounterFamily& model_reloads;            // result: loaded, unchanged, failed
  metrics::GaugeFamily& ready;
  metrics::GaugeFamily& db_pool_connections;  // state
  metrics::CounterFamily& db_pool_checkout_timeouts;
  metrics::CounterFamily& db_connect_attempts;  // result: success, failure
  metrics::CounterFamily& db_connections_lost;
};

}  // namespace recsys::inference
