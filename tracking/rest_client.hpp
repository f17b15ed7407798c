#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tracking/tracking_config.hpp"

namespace recsys::tracking {

// The path prefix of MLflow's REST API.
inline constexpr const char* kMlflowApi = "/api/2.0/mlflow";

// HTTP client for an MLflow tracking server, built on libcurl. Every request is retried with
// exponential backoff after connection errors, timeouts, HTTP 429 and 5xx, and each retry is
// logged without credentials. An error response is thrown as MlflowError carrying MLflow's
// error_code and message exactly as the server sent them. Thread-safe: one attempt at a time
// uses the connection.
class RestClient {
 public:
  // Finds out whether an earlier attempt of a request that is not idempotent took effect,
  // although its response was lost. Returns the response the server would have sent then, or
  // nullopt when the request had no effect and may be sent again.
  using RetryCheck = std::function<std::optional<nlohmann::json>()>;

  explicit RestClient(RestClientOptions options);
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // Calls an MLflow REST endpoint such as "/api/2.0/mlflow/runs/create". GET sends the fields
  // of `request` as the query string. POST, PATCH and DELETE send it as a JSON body, as
  // MLflow's Python client does. Returns the parsed JSON response ({} for an empty body).
  // With `check_before_retry`, every retry first runs the check and returns its response
  // instead of sending the request again when the earlier attempt took effect. A check that
  // throws ends the retries with an error.
  nlohmann::json call(const std::string& method, const std::string& endpoint,
                      const nlohmann::json& request, const RetryCheck& check_before_retry = {});

  // Uploads `file` with PUT to `endpoint` (the artifact proxy).
  void upload_file(const std::string& endpoint, const std::filesystem::path& file);
  // Downloads `endpoint` with GET into `file`, through a temporary sibling and a rename.
  void download_file(const std::string& endpoint, const std::filesystem::path& file);

  const RestClientOptions& options() const { return options_; }

 private:
  struct Request;
  struct Response;

  Response send(const Request& request, const RetryCheck& check_before_retry = {});
  Response perform_once(const Request& request, std::string* transport_error, bool* retryable);
  [[noreturn]] void throw_http_error(const Request& request, const Response& response) const;

  RestClientOptions options_;
  std::mutex mutex_;
  void* curl_ = nullptr;  // CURL*, kept across requests to reuse connections.
};

// Percent-encodes one path segment or query value.
std::string url_encode(const std::string& text);

}  // namespace recsys::tracking
