#pragma once

#include <chrono>
#include <filesystem>
#include <string>

namespace recsys::tracking {

// Connection settings of an MLflow tracking server, read from MLflow's own environment
// variables so that the pipeline and the Python client can share one configuration.
struct RestClientOptions {
  std::string base_url;  // "http://127.0.0.1:5000", without a trailing slash or credentials.
  std::string token;     // MLFLOW_TRACKING_TOKEN, sent as "Authorization: Bearer <token>".
  std::string username;  // MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD: HTTP Basic.
  std::string password;
  bool insecure_tls = false;  // MLFLOW_TRACKING_INSECURE_TLS=true skips certificate checks.
  std::string ca_bundle;      // MLFLOW_TRACKING_SERVER_CERT_PATH.
  std::chrono::milliseconds connect_timeout{10'000};
  // MLFLOW_HTTP_REQUEST_TIMEOUT (seconds, default 120): limit for one whole request.
  std::chrono::milliseconds request_timeout{120'000};
  // MLFLOW_HTTP_REQUEST_MAX_RETRIES (default 5): retries after connection errors, 429 and 5xx.
  int max_retries = 5;
  // MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR (seconds, default 2): the wait before retry n is
  // factor * 2^(n-1), at most max_backoff, as urllib3 does for MLflow's Python client.
  std::chrono::milliseconds backoff_factor{2'000};
  std::chrono::milliseconds max_backoff{120'000};
};

// The destination of runs and models: a tracking server (http:// or https://) or a local
// directory in MLflow's file store layout.
struct TrackingConfig {
  std::string tracking_uri;  // As given, for messages.
  bool is_rest = false;
  std::filesystem::path file_root;  // Absolute root of the file store when !is_rest.
  RestClientOptions rest;           // Used when is_rest.
};

// Resolves the tracking URI: `uri` when not empty, else MLFLOW_TRACKING_URI, else "./mlruns".
// Accepts http(s)://host[:port][/prefix], file: URIs and plain paths. Credentials embedded in
// the URL ("http://user:pass@host") are moved to Basic authentication. Throws recsys::Error for
// an unsupported scheme or an invalid environment variable value.
TrackingConfig resolve_tracking_config(const std::string& uri = "");

// The URL without user information, for logs and messages.
std::string redact_url(const std::string& url);

}  // namespace recsys::tracking
