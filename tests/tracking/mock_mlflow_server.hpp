#pragma once

// An in-process HTTP server that implements the part of MLflow's REST API (MLflow 2.x) that
// recsys uses, for tests: experiments, runs, log-batch, log-inputs, the model registry with
// aliases, and the artifact proxy. Paths, methods, JSON field names and types, status codes
// and the error format {"error_code": ..., "message": ...} follow mlflow/protos/service.proto,
// model_registry.proto, mlflow_artifacts.proto and mlflow/server/handlers.py; state is kept
// in memory. Faults can be injected per method and path: error statuses, delays, dropped
// connections and create races. Header-only so that other test programs can include it.

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace recsys::testing {

class MockMlflowServer {
 public:
  enum class FaultKind {
    kStatus,      // Respond with `status` and `body` instead of handling the request.
    kDelay,       // Sleep `delay`, then handle the request normally.
    kDrop,        // Send headers, then close the connection in the middle of the body.
    kCreateRace,  // Create the resource as a concurrent client would, then report
                  // RESOURCE_ALREADY_EXISTS (experiments/create, registered-models/create).
  };

  struct Fault {
    std::string method;       // Empty matches every method.
    std::string path_prefix;  // Matched against the request path.
    int remaining = 1;
    FaultKind kind = FaultKind::kStatus;
    int status = 500;
    std::string body;
    std::chrono::milliseconds delay{0};
    int retry_after_seconds = -1;
    // kStatus and kDrop only: handle the request first, so that it takes effect, then fail
    // the response, as a proxy or a broken connection does after the server committed.
    bool after_handling = false;
    int skip = 0;  // Matching requests that pass unharmed before the fault applies.
  };

  struct RecordedRequest {
    std::string method;
    std::string path;
    std::string body;
    std::string authorization;
    std::multimap<std::string, std::string> query;  // Decoded query string parameters.
  };

  // Defined in mock_mlflow_server.cpp, with the routes it registers compiled there only
  // once instead of in every test file that includes this header.
  MockMlflowServer();

  ~MockMlflowServer() {
    server_.stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  MockMlflowServer(const MockMlflowServer&) = delete;
  MockMlflowServer& operator=(const MockMlflowServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // ----- Fault injection and configuration -----

  void add_fault(const Fault& fault) {
    std::lock_guard lock(mutex_);
    faults_.push_back(fault);
  }
  void fail_next(const std::string& method, const std::string& path_prefix, int count, int status,
                 const std::string& body = "") {
    add_fault({method, path_prefix, count, FaultKind::kStatus, status, body, {}, -1});
  }
  void delay_next(const std::string& method, const std::string& path_prefix, int count,
                  std::chrono::milliseconds delay) {
    add_fault({method, path_prefix, count, FaultKind::kDelay, 0, "", delay, -1});
  }
  void drop_next(const std::string& method, const std::string& path_prefix, int count) {
    add_fault({method, path_prefix, count, FaultKind::kDrop, 0, "", {}, -1});
  }
  void race_next_create(const std::string& path_prefix) {
    add_fault({"POST", path_prefix, 1, FaultKind::kCreateRace, 0, "", {}, -1});
  }
  // The next `count` matching requests take effect, but their responses are lost.
  void drop_next_after_handling(const std::string& method, const std::string& path_prefix,
                                int count) {
    add_fault({method, path_prefix, count, FaultKind::kDrop, 0, "", {}, -1, true});
  }
  void fail_next_after_handling(const std::string& method, const std::string& path_prefix,
                                int count, int status) {
    add_fault({method, path_prefix, count, FaultKind::kStatus, status, "", {}, -1, true});
  }

  // Calls `hook` with each request as it arrives, before faults apply and before it is
  // handled, so that a test can act at a chosen moment, such as signalling during an upload.
  using RequestHook = std::function<void(const RecordedRequest&)>;
  void set_request_hook(RequestHook hook) {
    std::lock_guard lock(mutex_);
    request_hook_ = std::move(hook);
  }

  void clear_faults() {
    std::lock_guard lock(mutex_);
    faults_.clear();
  }

  // Requests without "Authorization: Bearer <token>" get HTTP 401.
  void require_bearer_token(const std::string& token) {
    std::lock_guard lock(mutex_);
    expected_authorization_ = "Bearer " + token;
  }
  // Requests without these HTTP Basic credentials get HTTP 401.
  void require_basic_auth(const std::string& username, const std::string& password) {
    std::lock_guard lock(mutex_);
    expected_authorization_ = httplib::make_basic_authentication_header(username, password).second;
  }
  // Credentials that are valid but lack permission get HTTP 403.
  void forbid_all() {
    std::lock_guard lock(mutex_);
    forbid_all_ = true;
  }
  // New model versions report PENDING_REGISTRATION for this many get requests.
  void set_pending_polls(int polls) {
    std::lock_guard lock(mutex_);
    pending_polls_ = polls;
  }
  // New model versions end in FAILED_REGISTRATION with this message; "" turns that off.
  void fail_registrations(const std::string& message) {
    std::lock_guard lock(mutex_);
    registration_failure_ = message;
  }

  // ----- Inspection -----

  std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int count_requests(const std::string& method, const std::string& path) const {
    std::lock_guard lock(mutex_);
    int count = 0;
    for (const auto& request : requests_) {
      count += request.method == method && request.path == path ? 1 : 0;
    }
    return count;
  }
  // Bodies of the requests to `path` that the server accepted.
  std::vector<nlohmann::json> accepted_bodies(const std::string& path) const {
    std::lock_guard lock(mutex_);
    auto found = accepted_bodies_.find(path);
    return found == accepted_bodies_.end() ? std::vector<nlohmann::json>{} : found->second;
  }
  bool has_artifact(const std::string& path) const {
    std::lock_guard lock(mutex_);
    return artifacts_.count(path) != 0;
  }
  std::string artifact(const std::string& path) const {
    std::lock_guard lock(mutex_);
    return artifacts_.at(path);
  }
  std::vector<std::string> artifact_paths() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> paths;
    for (const auto& [path, content] : artifacts_) {
      paths.push_back(path);
    }
    return paths;
  }
  // Every value logged for a metric, in logging order.
  std::vector<double> metric_history(const std::string& run_id, const std::string& key) const {
    std::lock_guard lock(mutex_);
    std::vector<double> values;
    for (const auto& metric : runs_.at(run_id).metrics) {
      if (metric.key == key) {
        values.push_back(metric.value);
      }
    }
    return values;
  }
  std::vector<std::int64_t> metric_steps(const std::string& run_id, const std::string& key) const {
    std::lock_guard lock(mutex_);
    std::vector<std::int64_t> steps;
    for (const auto& metric : runs_.at(run_id).metrics) {
      if (metric.key == key) {
        steps.push_back(metric.step);
      }
    }
    return steps;
  }
  std::map<std::string, std::string> run_params(const std::string& run_id) const {
    std::lock_guard lock(mutex_);
    return runs_.at(run_id).params;
  }
  std::map<std::string, std::string> run_tags(const std::string& run_id) const {
    std::lock_guard lock(mutex_);
    return runs_.at(run_id).tags;
  }
  std::string run_status(const std::string& run_id) const {
    std::lock_guard lock(mutex_);
    return runs_.at(run_id).status;
  }
  nlohmann::json run_inputs(const std::string& run_id) const {
    std::lock_guard lock(mutex_);
    return runs_.at(run_id).inputs;
  }
  std::vector<std::string> run_ids() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> ids;
    for (const auto& [id, run] : runs_) {
      ids.push_back(id);
    }
    return ids;
  }
  int model_version_count(const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto model = versions_.find(name);
    return model == versions_.end() ? 0 : static_cast<int>(model->second.size());
  }
  std::optional<std::string> alias_target(const std::string& name, const std::string& alias) const {
    std::lock_guard lock(mutex_);
    auto model = models_.find(name);
    if (model == models_.end() || model->second.aliases.count(alias) == 0) {
      return std::nullopt;
    }
    return model->second.aliases.at(alias);
  }
  // Marks a version deleted but keeps the aliases that point at it, the state a registry is
  // in when a version is removed behind the alias' back.
  void delete_version_keep_aliases(const std::string& name, const std::string& version) {
    std::lock_guard lock(mutex_);
    versions_.at(name).at(std::stoi(version)).deleted = true;
  }

 private:
  struct ExperimentState {
    std::string id;
    std::string name;
    std::string artifact_location;
    std::string lifecycle_stage;
  };
  struct MetricState {
    std::string key;
    double value = 0;
    std::int64_t timestamp = 0;
    std::int64_t step = 0;
  };
  struct RunState {
    std::string run_id;
    std::string experiment_id;
    std::string run_name;
    std::string user_id;
    std::string status = "RUNNING";
    std::int64_t start_time = 0;
    std::optional<std::int64_t> end_time;
    std::string artifact_uri;
    std::vector<MetricState> metrics;
    std::map<std::string, std::string> params;
    std::map<std::string, std::string> tags;
    nlohmann::json inputs = nlohmann::json::array();
  };
  struct RegisteredModelState {
    std::int64_t creation_timestamp = 0;
    std::int64_t last_updated_timestamp = 0;
    std::map<std::string, std::string> tags;
    std::map<std::string, std::string> aliases;
  };
  struct VersionState {
    std::string source;
    std::string run_id;
    std::int64_t creation_timestamp = 0;
    std::map<std::string, std::string> tags;
    int pending_polls = 0;
    std::string failure;
    bool deleted = false;
  };

  // Raised inside handlers and turned into MLflow's error response.
  struct ApiError {
    int status;
    std::string error_code;
    std::string message;
  };

  static constexpr const char* kApi = "/api/2.0/mlflow";
  static constexpr const char* kArtifacts = "/api/2.0/mlflow-artifacts/artifacts";
  // Limits of mlflow/utils/validation.py.
  static constexpr std::size_t kMaxMetrics = 1000;
  static constexpr std::size_t kMaxParamsTags = 100;
  static constexpr std::size_t kMaxEntries = 1000;
  static constexpr std::size_t kMaxRequestBytes = 1000000;

  static std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  static void send_json(httplib::Response& response, const nlohmann::json& body, int status = 200) {
    response.status = status;
    response.set_content(body.dump(), "application/json");
  }

  static void send_error(httplib::Response& response, const ApiError& error) {
    send_json(response, {{"error_code", error.error_code}, {"message", error.message}},
              error.status);
  }

  static ApiError invalid(const std::string& message) {
    return {400, "INVALID_PARAMETER_VALUE", message};
  }
  static ApiError not_found(const std::string& message) {
    return {404, "RESOURCE_DOES_NOT_EXIST", message};
  }
  static ApiError exists(const std::string& message) {
    return {400, "RESOURCE_ALREADY_EXISTS", message};
  }

  static nlohmann::json parse_body(const httplib::Request& request) {
    if (request.body.empty()) {
      return nlohmann::json::object();
    }
    try {
      return nlohmann::json::parse(request.body);
    } catch (const nlohmann::json::parse_error& error) {
      throw ApiError{400, "MALFORMED_REQUEST", std::string("Malformed JSON: ") + error.what()};
    }
  }

  static std::string required_string(const nlohmann::json& body, const std::string& field) {
    if (!body.contains(field) || !body.at(field).is_string() ||
        body.at(field).get<std::string>().empty()) {
      throw invalid("Missing value for required parameter '" + field + "'.");
    }
    return body.at(field).get<std::string>();
  }

  static std::string required_query(const httplib::Request& request, const std::string& field) {
    if (!request.has_param(field) || request.get_param_value(field).empty()) {
      throw invalid("Missing value for required parameter '" + field + "'.");
    }
    return request.get_param_value(field);
  }

  // protobuf's JSON mapping of int64: a number or a decimal string.
  static std::int64_t int64_field(const nlohmann::json& value, const std::string& field) {
    if (value.is_number_integer()) {
      return value.get<std::int64_t>();
    }
    if (value.is_string()) {
      try {
        std::size_t used = 0;
        const std::string text = value.get<std::string>();
        const std::int64_t parsed = std::stoll(text, &used);
        if (used == text.size()) {
          return parsed;
        }
      } catch (const std::exception&) {
      }
    }
    throw invalid("Invalid value " + value.dump() + " for parameter '" + field +
                  "' supplied. Hint: Value was of type " + value.type_name() + ".");
  }

  // protobuf's JSON mapping of double: a number or "NaN", "Infinity", "-Infinity".
  static double double_field(const nlohmann::json& value, const std::string& field) {
    if (value.is_number()) {
      return value.get<double>();
    }
    if (value.is_string()) {
      const std::string text = value.get<std::string>();
      if (text == "NaN") {
        return std::numeric_limits<double>::quiet_NaN();
      }
      if (text == "Infinity") {
        return std::numeric_limits<double>::infinity();
      }
      if (text == "-Infinity") {
        return -std::numeric_limits<double>::infinity();
      }
    }
    throw invalid("Invalid value " + value.dump() + " for parameter '" + field +
                  "' supplied. Please specify value as a valid double (64-bit floating point)");
  }

  static nlohmann::json double_to_json(double value) {
    if (std::isnan(value)) {
      return "NaN";
    }
    if (std::isinf(value)) {
      return value > 0 ? "Infinity" : "-Infinity";
    }
    return value;
  }

  static nlohmann::json key_value_list(const std::map<std::string, std::string>& entries) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [key, value] : entries) {
      list.push_back({{"key", key}, {"value", value}});
    }
    return list;
  }

  template <typename Handler>
  auto wrap(Handler handler) {
    return [this, handler](const httplib::Request& request, httplib::Response& response) {
      try {
        std::optional<Fault> late_fault;
        if (intercept(request, response, &late_fault)) {
          return;
        }
        handler(request, response);
        if (response.status < 300) {
          std::lock_guard lock(mutex_);
          accepted_bodies_[request.path].push_back(request.body.empty() || request.method == "PUT"
                                                       ? nlohmann::json::object()
                                                       : nlohmann::json::parse(request.body));
        }
        if (late_fault) {
          apply_fault_to_response(*late_fault, response);
        }
      } catch (const ApiError& error) {
        send_error(response, error);
      }
    };
  }

  // Replaces the response by an error status or by a connection dropped in the middle of the
  // body.
  static void apply_fault_to_response(const Fault& fault, httplib::Response& response) {
    response.headers.erase("Content-Type");
    response.body.clear();
    if (fault.kind == FaultKind::kDrop) {
      // Promise 64 bytes and send none: the client sees the connection close mid-body.
      response.set_content_provider(
          64, "application/json",
          [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
      return;
    }
    response.status = fault.status;
    if (fault.retry_after_seconds >= 0) {
      response.set_header("Retry-After", std::to_string(fault.retry_after_seconds));
    }
    response.set_content(
        fault.body.empty()
            ? nlohmann::json{{"error_code",
                              fault.status == 429 ? "REQUEST_LIMIT_EXCEEDED" : "INTERNAL_ERROR"},
                             {"message", "injected fault"}}
                  .dump()
            : fault.body,
        "application/json");
  }

  // Records the request and applies authentication and injected faults. Runs inside the route
  // handler, after the body is read, so that a keep-alive connection stays in sync. Returns
  // true when the response is complete. A fault to apply after the handler goes to
  // `late_fault`.
  bool intercept(const httplib::Request& request, httplib::Response& response,
                 std::optional<Fault>* late_fault) {
    const std::string authorization = request.get_header_value("Authorization");
    const RecordedRequest recorded{
        request.method, request.path, request.body, authorization,
        std::multimap<std::string, std::string>(request.params.begin(), request.params.end())};
    RequestHook hook;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(recorded);
      hook = request_hook_;
    }
    if (hook) {
      hook(recorded);
    }
    std::optional<Fault> fault;
    {
      std::lock_guard lock(mutex_);
      if (!expected_authorization_.empty() && authorization != expected_authorization_) {
        response.status = 401;
        response.set_content("You are not authenticated. Provide valid credentials.", "text/plain");
        return true;
      }
      if (forbid_all_) {
        send_json(response, {{"error_code", "PERMISSION_DENIED"}, {"message", "Permission denied"}},
                  403);
        return true;
      }
      for (auto& candidate : faults_) {
        const bool matches = candidate.remaining > 0 &&
                             (candidate.method.empty() || candidate.method == request.method) &&
                             request.path.rfind(candidate.path_prefix, 0) == 0;
        if (matches && candidate.skip > 0) {
          --candidate.skip;
          continue;
        }
        if (matches) {
          --candidate.remaining;
          fault = candidate;
          break;
        }
      }
    }
    if (!fault) {
      return false;
    }
    if (fault->after_handling) {
      *late_fault = fault;
      return false;
    }

    switch (fault->kind) {
      case FaultKind::kDelay:
        std::this_thread::sleep_for(fault->delay);
        return false;
      case FaultKind::kStatus:
      case FaultKind::kDrop:
        apply_fault_to_response(*fault, response);
        return true;
      case FaultKind::kCreateRace: {
        try {
          const nlohmann::json body = parse_body(request);
          std::lock_guard lock(mutex_);
          const std::string name = body.value("name", std::string());
          if (request.path == std::string(kApi) + "/experiments/create") {
            create_experiment_locked(name);
            send_error(response, exists("Experiment '" + name + "' already exists."));
          } else {
            models_[name] = {now_ms(), now_ms(), {}, {}};
            send_error(response, exists("Registered Model (name=" + name + ") already exists."));
          }
        } catch (const ApiError& error) {
          send_error(response, error);
        }
        return true;
      }
    }
    return false;
  }

  // ----- Tracking -----

  std::string create_experiment_locked(const std::string& name) {
    const std::string id = std::to_string(next_experiment_id_++);
    experiments_.push_back({id, name, "mlflow-artifacts:/" + id, "active"});
    return id;
  }

  nlohmann::json experiment_json(const ExperimentState& experiment) const {
    return {{"experiment_id", experiment.id},
            {"name", experiment.name},
            {"artifact_location", experiment.artifact_location},
            {"lifecycle_stage", experiment.lifecycle_stage},
            {"creation_time", 1700000000000},
            {"last_update_time", 1700000000000}};
  }

  static nlohmann::json run_info_json(const RunState& run) {
    nlohmann::json info = {{"run_id", run.run_id},         {"run_uuid", run.run_id},
                           {"run_name", run.run_name},     {"experiment_id", run.experiment_id},
                           {"user_id", run.user_id},       {"status", run.status},
                           {"start_time", run.start_time}, {"artifact_uri", run.artifact_uri},
                           {"lifecycle_stage", "active"}};
    if (run.end_time) {
      info["end_time"] = *run.end_time;
    }
    return info;
  }

  nlohmann::json run_json(const RunState& run) const {
    // The latest value per key, by (step, timestamp), as MLflow's stores report it.
    std::map<std::string, MetricState> latest;
    for (const auto& metric : run.metrics) {
      auto found = latest.find(metric.key);
      if (found == latest.end() || std::tie(metric.step, metric.timestamp) >=
                                       std::tie(found->second.step, found->second.timestamp)) {
        latest[metric.key] = metric;
      }
    }
    nlohmann::json metrics = nlohmann::json::array();
    for (const auto& [key, metric] : latest) {
      metrics.push_back({{"key", key},
                         {"value", double_to_json(metric.value)},
                         {"timestamp", metric.timestamp},
                         {"step", metric.step}});
    }
    return {{"info", run_info_json(run)},
            {"data",
             {{"metrics", metrics},
              {"params", key_value_list(run.params)},
              {"tags", key_value_list(run.tags)}}},
            {"inputs", {{"dataset_inputs", run.inputs}}}};
  }

  RunState& find_run_locked(const std::string& run_id) {
    auto found = runs_.find(run_id);
    if (found == runs_.end()) {
      throw not_found("Run '" + run_id + "' not found");
    }
    return found->second;
  }

  void register_tracking_routes() {
    const std::string api = kApi;

    server_.Get(api + "/experiments/get-by-name",
                wrap([this](const httplib::Request& request, httplib::Response& response) {
                  const std::string name = required_query(request, "experiment_name");
                  std::lock_guard lock(mutex_);
                  for (const auto& experiment : experiments_) {
                    if (experiment.name == name) {
                      send_json(response, {{"experiment", experiment_json(experiment)}});
                      return;
                    }
                  }
                  throw not_found("Could not find experiment with name " + name);
                }));

    server_.Post(api + "/experiments/create",
                 wrap([this](const httplib::Request& request, httplib::Response& response) {
                   const nlohmann::json body = parse_body(request);
                   const std::string name = required_string(body, "name");
                   std::lock_guard lock(mutex_);
                   for (const auto& experiment : experiments_) {
                     if (experiment.name == name) {
                       throw exists("Experiment '" + name + "' already exists.");
                     }
                   }
                   send_json(response, {{"experiment_id", create_experiment_locked(name)}});
                 }));

    server_.Post(api + "/runs/create",
                 wrap([this](const httplib::Request& request, httplib::Response& response) {
                   const nlohmann::json body = parse_body(request);
                   std::lock_guard lock(mutex_);
                   RunState run;
                   run.experiment_id = body.value("experiment_id", std::string("0"));
                   bool experiment_found = false;
                   for (const auto& experiment : experiments_) {
                     experiment_found = experiment_found || experiment.id == run.experiment_id;
                   }
                   if (!experiment_found) {
                     throw not_found("Could not find experiment with ID " + run.experiment_id);
                   }

                   char run_id[40];
                   std::snprintf(run_id, sizeof(run_id), "%032x", next_run_number_++);
                   run.run_id = run_id;
                   run.user_id = body.value("user_id", std::string());
                   run.start_time = body.contains("start_time")
                                        ? int64_field(body.at("start_time"), "start_time")
                                        : now_ms();
                   for (const auto& tag : body.value("tags", nlohmann::json::array())) {
                     run.tags[tag.at("key").get<std::string>()] =
                         tag.at("value").get<std::string>();
                   }

                   run.run_name = body.value("run_name", std::string());
                   if (run.run_name.empty()) {
                     run.run_name = run.tags.count("mlflow.runName") ? run.tags.at("mlflow.runName")
                                                                     : "mock-run";
                   }
                   run.tags["mlflow.runName"] = run.run_name;
                   run.artifact_uri =
                       "mlflow-artifacts:/" + run.experiment_id + "/" + run.run_id + "/artifacts";

                   runs_[run.run_id] = run;
                   send_json(response, {{"run", run_json(run)}});
                 }));

    server_.Post(
        api + "/runs/log-batch",
        wrap([this](const httplib::Request& request, httplib::Response& response) {
          if (request.body.size() > kMaxRequestBytes) {
            throw invalid(
                "Batched logging API requests must be at most 1000000 bytes, got a "
                "request of size " +
                std::to_string(request.body.size()) + ".");
          }
          const nlohmann::json body = parse_body(request);
          const std::string run_id = required_string(body, "run_id");
          const auto metrics = body.value("metrics", nlohmann::json::array());
          const auto params = body.value("params", nlohmann::json::array());
          const auto tags = body.value("tags", nlohmann::json::array());
          check_batch_limit("metrics", kMaxMetrics, metrics.size());
          check_batch_limit("params", kMaxParamsTags, params.size());
          check_batch_limit("tags", kMaxParamsTags, tags.size());
          check_batch_limit("metrics, params, and tags", kMaxEntries,
                            metrics.size() + params.size() + tags.size());

          std::vector<MetricState> parsed_metrics;
          for (const auto& metric : metrics) {
            if (!metric.contains("key") || !metric.contains("value") ||
                !metric.contains("timestamp")) {
              throw invalid("Invalid metric: key, value and timestamp are required: " +
                            metric.dump());
            }
            MetricState state;
            state.key = metric.at("key").get<std::string>();
            state.value = double_field(metric.at("value"), "metrics.value");
            state.timestamp = int64_field(metric.at("timestamp"), "metrics.timestamp");
            state.step =
                metric.contains("step") ? int64_field(metric.at("step"), "metrics.step") : 0;
            parsed_metrics.push_back(state);
          }
          std::set<std::string> param_keys;
          for (const auto& param : params) {
            if (!param_keys.insert(param.at("key").get<std::string>()).second) {
              throw invalid("Duplicate parameter keys have been submitted: " +
                            param.at("key").get<std::string>());
            }
          }

          std::lock_guard lock(mutex_);
          RunState& run = find_run_locked(run_id);
          for (const auto& param : params) {
            const std::string key = param.at("key").get<std::string>();
            const std::string value = param.at("value").get<std::string>();
            if (run.params.count(key) != 0 && run.params.at(key) != value) {
              throw invalid("Changing param values is not allowed. Param with key='" + key +
                            "' was already logged with value='" + run.params.at(key) +
                            "' for run ID='" + run_id + "'. Attempted logging new value '" + value +
                            "'.");
            }
          }
          for (const auto& param : params) {
            run.params[param.at("key").get<std::string>()] = param.at("value").get<std::string>();
          }
          run.metrics.insert(run.metrics.end(), parsed_metrics.begin(), parsed_metrics.end());
          for (const auto& tag : tags) {
            run.tags[tag.at("key").get<std::string>()] = tag.at("value").get<std::string>();
          }
          send_json(response, nlohmann::json::object());
        }));

    server_.Post(api + "/runs/log-inputs",
                 wrap([this](const httplib::Request& request, httplib::Response& response) {
                   const nlohmann::json body = parse_body(request);
                   const std::string run_id = required_string(body, "run_id");
                   const auto datasets = body.value("datasets", nlohmann::json::array());
                   for (const auto& input : datasets) {
                     const auto dataset = input.value("dataset", nlohmann::json::object());
                     for (const char* field : {"name", "digest", "source_type", "source"}) {
                       required_string(dataset, field);
                     }
                   }
                   std::lock_guard lock(mutex_);
                   RunState& run = find_run_locked(run_id);
                   for (const auto& input : datasets) {
                     run.inputs.push_back(input);
                   }
                   send_json(response, nlohmann::json::object());
                 }));

    server_.Post(api + "/runs/update",
                 wrap([this](const httplib::Request& request, httplib::Response& response) {
                   const nlohmann::json body = parse_body(request);
                   const std::string run_id =
                       body.value("run_id", body.value("run_uuid", std::string()));
                   const std::string status = body.value("status", std::string());
                   static const std::set<std::string> kStatuses = {"RUNNING", "SCHEDULED",
                                                                   "FINISHED", "FAILED", "KILLED"};
                   if (!status.empty() && kStatuses.count(status) == 0) {
                     throw invalid("Invalid value \"" + status + "\" for parameter 'status'");
                   }
                   std::lock_guard lock(mutex_);
                   RunState& run = find_run_locked(run_id);
                   if (!status.empty()) {
                     run.status = status;
                   }
                   if (body.contains("end_time")) {
                     run.end_time = int64_field(body.at("end_time"), "end_time");
                   }
                   send_json(response, {{"run_info", run_info_json(run)}});
                 }));

    // Supports the filter recsys sends: one tag condition, tags.`key` = 'value'.
    server_.Post(api + "/runs/search",
                 wrap([this](const httplib::Request& request, httplib::Response& response) {
                   const nlohmann::json body = parse_body(request);
                   const std::string filter = body.value("filter", std::string());
                   static const std::regex tag_condition(
                       R"re(^\s*tags\.(?:`([^`]+)`|"([^"]+)"|([\w.]+))\s*=\s*'([^'\\]*)'\s*$)re");
                   std::smatch match;
                   if (!std::regex_match(filter, match, tag_condition)) {
                     throw invalid("Invalid filter '" + filter + "'");
                   }
                   const std::string key = match[1].matched   ? match[1].str()
                                           : match[2].matched ? match[2].str()
                                                              : match[3].str();
                   const std::string value = match[4];
                   std::set<std::string> experiment_ids;
                   for (const auto& id : body.value("experiment_ids", nlohmann::json::array())) {
                     experiment_ids.insert(id.get<std::string>());
                   }
                   const std::size_t max_results = body.value("max_results", std::size_t{1000});

                   std::lock_guard lock(mutex_);
                   nlohmann::json runs = nlohmann::json::array();
                   for (const auto& [id, run] : runs_) {
                     const auto tag = run.tags.find(key);
                     const bool matches = experiment_ids.count(run.experiment_id) != 0 &&
                                          tag != run.tags.end() && tag->second == value;
                     if (matches && runs.size() < max_results) {
                       runs.push_back(run_json(run));
                     }
                   }
                   // protobuf's JSON mapping leaves out an empty repeated field.
                   send_json(response, runs.empty() ? nlohmann::json::object()
                                                    : nlohmann::json{{"runs", runs}});
                 }));

    server_.Get(api + "/runs/get",
                wrap([this](const httplib::Request& request, httplib::Response& response) {
                  const std::string run_id = required_query(request, "run_id");
                  std::lock_guard lock(mutex_);
                  send_json(response, {{"run", run_json(find_run_locked(run_id))}});
                }));
  }

  static void check_batch_limit(const std::string& entity, std::size_t limit, std::size_t length) {
    if (length > limit) {
      throw invalid("A batch logging request can contain at most " + std::to_string(limit) + " " +
                    entity + ". Got " + std::to_string(length) + " " + entity +
                    ". Please split up " + entity + " across multiple requests and try again.");
    }
  }

  // ----- Model registry -----

  // Parses a model-versions/search filter: conditions "key = 'value'" on name, run_id or
  // source_path, joined by AND, the subset of mlflow/utils/search_utils.py that recsys sends.
  static std::map<std::string, std::string> parse_version_filter(const std::string& filter) {
    static const std::regex condition(
        R"(^\s*([A-Za-z_.]+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*(AND\s+|and\s+|$))");
    std::map<std::string, std::string> conditions;
    std::string rest = filter;
    while (!rest.empty() && rest.find_first_not_of(" ") != std::string::npos) {
      std::smatch match;
      if (!std::regex_search(rest, match, condition)) {
        throw invalid("Invalid filter string: " + filter);
      }
      const std::string key = match[1];
      if (key != "name" && key != "run_id" && key != "source_path") {
        throw invalid("Invalid attribute key '" + key +
                      "' specified. Valid keys are '{'name', 'run_id', 'source_path', "
                      "'version_number'}'");
      }
      std::string value;
      const std::string quoted = match[2];
      for (std::size_t i = 0; i < quoted.size(); ++i) {
        value.push_back(quoted[i] == '\\' && i + 1 < quoted.size() ? quoted[++i] : quoted[i]);
      }
      conditions[key] = value;
      const bool last = match[3].length() == 0;
      const std::string suffix = match.suffix().str();
      rest = suffix;
      if (last) {
        break;
      }
    }
    return conditions;
  }

  nlohmann::json version_json(const std::string& name, int number, VersionState& version) {
    std::string status = "READY";
    if (!version.failure.empty()) {
      status = "FAILED_REGISTRATION";
    } else if (version.pending_polls > 0) {
      status = "PENDING_REGISTRATION";
    }
    nlohmann::json json = {{"name", name},
                           {"version", std::to_string(number)},
                           {"creation_timestamp", version.creation_timestamp},
                           {"last_updated_timestamp", version.creation_timestamp},
                           {"current_stage", "None"},
                           {"source", version.source},
                           {"run_id", version.run_id},
                           {"status", status},
                           {"tags", key_value_list(version.tags)}};
    if (!version.failure.empty()) {
      json["status_message"] = version.failure;
    }
    nlohmann::json aliases = nlohmann::json::array();
    for (const auto& [alias, target] : models_.at(name).aliases) {
      if (target == std::to_string(number)) {
        aliases.push_back(alias);
      }
    }
    if (!aliases.empty()) {
      json["aliases"] = aliases;
    }
    return json;
  }

  RegisteredModelState& find_model_locked(const std::string& name) {
    auto found = models_.find(name);
    if (found == models_.end()) {
      throw not_found("Registered Model with name=" + name + " not found");
    }
    return found->second;
  }

  VersionState& find_version_locked(const std::string& name, const std::string& version) {
    find_model_locked(name);
    int number = 0;
    try {
      number = std::stoi(version);
    } catch (const std::exception&) {
      throw invalid("Model version must be an integer, got '" + version + "'");
    }
    auto model = versions_.find(name);
    if (model == versions_.end() || model->second.count(number) == 0 ||
        model->second.at(number).deleted) {
      throw not_found("Model Version (name=" + name + ", version=" + version + ") not found");
    }
    return model->second.at(number);
  }

  void register_registry_routes() {
    const std::string api = kApi;

    server_.Post(
        api + "/registered-models/create",
        wrap([this](const httplib::Request& request, httplib::Response& response) {
          const nlohmann::json body = parse_body(request);
          const std::string name = required_string(body, "name");
          std::lock_guard lock(mutex_);
          if (models_.count(name) != 0) {
            throw exists("Registered Model (name=" + name + ") already exists.");
          }
          const std::int64_t now = now_ms();
          models_[name] = {now, now, {}, {}};
          send_json(
              response,
              {{"registered_model",
                {{"name", name}, {"creation_timestamp", now}, {"last_updated_timestamp", now}}}});
        }));

    server_.Get(api + "/registered-models/get",
                wrap([this](const httplib::Request& request, httplib::Response& response) {
                  const std::string name = required_query(request, "name");
                  std::lock_guard lock(mutex_);
                  const RegisteredModelState& model = find_model_locked(name);
                  nlohmann::json aliases = nlohmann::json::array();
                  for (const auto& [alias, version] : model.aliases) {
                    aliases.push_back({{"alias", alias}, {"version", version}});
                  }
                  send_json(response, {{"registered_model",
                                        {{"name", name},
                                         {"creation_timestamp", model.creation_timestamp},
                                         {"last_updated_timestamp", model.last_updated_timestamp},
                                         {"tags", key_value_list(model.tags)},
                                         {"aliases", aliases}}}});
                }));

    server_.Post(
        api + "/model-versions/create",
        wrap([this](const httplib::Request& request, httplib::Response& response) {
          const nlohmann::json body = parse_body(request);
          const std::string name = required_string(body, "name");
          const std::string source = required_string(body, "source");
          std::lock_guard lock(mutex_);
          find_model_locked(name);
          auto& model_versions = versions_[name];
          const int number = model_versions.empty() ? 1 : model_versions.rbegin()->first + 1;
          VersionState version;
          version.source = source;
          version.run_id = body.value("run_id", std::string());
          version.creation_timestamp = now_ms();
          version.pending_polls = pending_polls_;
          version.failure = registration_failure_;
          for (const auto& tag : body.value("tags", nlohmann::json::array())) {
            version.tags[tag.at("key").get<std::string>()] = tag.at("value").get<std::string>();
          }
          model_versions[number] = version;
          send_json(response,
                    {{"model_version", version_json(name, number, model_versions.at(number))}});
        }));

    server_.Get(api + "/model-versions/get",
                wrap([this](const httplib::Request& request, httplib::Response& response) {
                  const std::string name = required_query(request, "name");
                  const std::string version = required_query(request, "version");
                  std::lock_guard lock(mutex_);
                  VersionState& state = find_version_locked(name, version);
                  nlohmann::json json = version_json(name, std::stoi(version), state);
                  if (state.pending_polls > 0) {
                    --state.pending_polls;
                  }
                  send_json(response, {{"model_version", json}});
                }));

    server_.Post(api + "/model-versions/set-tag",
                 wrap([this](const httplib::Request& request, httplib::Response& response) {
                   const nlohmann::json body = parse_body(request);
                   const std::string name = required_string(body, "name");
                   const std::string version = required_string(body, "version");
                   const std::string key = required_string(body, "key");
                   if (!body.contains("value") || !body.at("value").is_string()) {
                     throw invalid("Missing value for required parameter 'value'.");
                   }
                   std::lock_guard lock(mutex_);
                   find_version_locked(name, version).tags[key] =
                       body.at("value").get<std::string>();
                   send_json(response, nlohmann::json::object());
                 }));

    server_.Get(
        api + "/model-versions/search",
        wrap([this](const httplib::Request& request, httplib::Response& response) {
          const std::map<std::string, std::string> conditions =
              request.has_param("filter") ? parse_version_filter(request.get_param_value("filter"))
                                          : std::map<std::string, std::string>{};
          auto condition = [&conditions](const std::string& key) {
            auto found = conditions.find(key);
            return found == conditions.end() ? std::optional<std::string>()
                                             : std::optional<std::string>(found->second);
          };
          const std::size_t page_size = request.has_param("max_results")
                                            ? std::stoul(request.get_param_value("max_results"))
                                            : 200000;
          const std::size_t offset = request.has_param("page_token")
                                         ? std::stoul(request.get_param_value("page_token"))
                                         : 0;

          std::lock_guard lock(mutex_);
          nlohmann::json all = nlohmann::json::array();
          for (auto& [model_name, model_versions] : versions_) {
            if (condition("name") && model_name != *condition("name")) {
              continue;
            }
            for (auto& [number, version] : model_versions) {
              const bool matches =
                  !version.deleted &&
                  (!condition("run_id") || version.run_id == *condition("run_id")) &&
                  (!condition("source_path") || version.source == *condition("source_path"));
              if (matches) {
                all.push_back(version_json(model_name, number, version));
              }
            }
          }

          nlohmann::json page = nlohmann::json::array();
          for (std::size_t i = offset; i < all.size() && i < offset + page_size; ++i) {
            page.push_back(all[i]);
          }

          nlohmann::json result = nlohmann::json::object();
          if (!page.empty()) {
            result["model_versions"] = page;
          }
          if (offset + page_size < all.size()) {
            result["next_page_token"] = std::to_string(offset + page_size);
          }
          send_json(response, result);
        }));

    server_.Delete(api + "/model-versions/delete",
                   wrap([this](const httplib::Request& request, httplib::Response& response) {
                     const nlohmann::json body = parse_body(request);
                     const std::string name = required_string(body, "name");
                     const std::string version = required_string(body, "version");
                     std::lock_guard lock(mutex_);
                     find_version_locked(name, version).deleted = true;
                     auto& aliases = models_.at(name).aliases;
                     for (auto alias = aliases.begin(); alias != aliases.end();) {
                       alias = alias->second == version ? aliases.erase(alias) : std::next(alias);
                     }
                     send_json(response, nlohmann::json::object());
                   }));

    server_.Post(api + "/registered-models/alias",
                 wrap([this](const httplib::Request& request, httplib::Response& response) {
                   const nlohmann::json body = parse_body(request);
                   const std::string name = required_string(body, "name");
                   const std::string alias = required_string(body, "alias");
                   const std::string version = required_string(body, "version");
                   std::lock_guard lock(mutex_);
                   find_version_locked(name, version);
                   models_.at(name).aliases[alias] = version;
                   send_json(response, nlohmann::json::object());
                 }));

    server_.Delete(api + "/registered-models/alias",
                   wrap([this](const httplib::Request& request, httplib::Response& response) {
                     const nlohmann::json body = parse_body(request);
                     const std::string name = required_string(body, "name");
                     const std::string alias = required_string(body, "alias");
                     std::lock_guard lock(mutex_);
                     find_model_locked(name).aliases.erase(alias);
                     send_json(response, nlohmann::json::object());
                   }));

    server_.Get(
        api + "/registered-models/alias",
        wrap([this](const httplib::Request& request, httplib::Response& response) {
          const std::string name = required_query(request, "name");
          const std::string alias = required_query(request, "alias");
          std::lock_guard lock(mutex_);
          RegisteredModelState& model = find_model_locked(name);
          if (model.aliases.count(alias) == 0) {
            throw not_found("Registered model alias " + alias + " not found.");
          }
          const std::string version = model.aliases.at(alias);
          VersionState& state = find_version_locked(name, version);
          send_json(response, {{"model_version", version_json(name, std::stoi(version), state)}});
        }));
  }

  // ----- Artifact proxy -----

  void register_artifact_routes() {
    const std::string artifacts = kArtifacts;

    server_.Put(artifacts + "/(.+)",
                wrap([this](const httplib::Request& request, httplib::Response& response) {
                  const std::string path = request.matches[1];
                  std::lock_guard lock(mutex_);
                  artifacts_[path] = request.body;
                  send_json(response, nlohmann::json::object());
                }));

    server_.Get(artifacts + "/(.+)",
                wrap([this](const httplib::Request& request, httplib::Response& response) {
                  const std::string path = request.matches[1];
                  std::lock_guard lock(mutex_);
                  auto found = artifacts_.find(path);
                  if (found == artifacts_.end()) {
                    throw not_found("Artifact '" + path + "' not found");
                  }
                  response.set_content(found->second, "application/octet-stream");
                }));

    server_.Get(
        artifacts, wrap([this](const httplib::Request& request, httplib::Response& response) {
          std::string directory = request.has_param("path") ? request.get_param_value("path") : "";
          while (!directory.empty() && directory.back() == '/') {
            directory.pop_back();
          }
          const std::string prefix = directory.empty() ? "" : directory + "/";
          std::lock_guard lock(mutex_);
          std::map<std::string, nlohmann::json> children;
          for (const auto& [path, content] : artifacts_) {
            if (path.rfind(prefix, 0) != 0) {
              continue;
            }
            const std::string rest = path.substr(prefix.size());
            const std::size_t slash = rest.find('/');
            if (slash == std::string::npos) {
              children[rest] = {{"path", rest},
                                {"is_dir", false},
                                {"file_size", static_cast<std::int64_t>(content.size())}};
            } else {
              children[rest.substr(0, slash)] = {{"path", rest.substr(0, slash)}, {"is_dir", true}};
            }
          }
          nlohmann::json files = nlohmann::json::array();
          for (const auto& [name, info] : children) {
            files.push_back(info);
          }
          // protobuf's JSON mapping leaves out an empty repeated field.
          send_json(response,
                    files.empty() ? nlohmann::json::object() : nlohmann::json{{"files", files}});
        }));
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;

  mutable std::mutex mutex_;
  std::vector<Fault> faults_;
  std::vector<RecordedRequest> requests_;
  RequestHook request_hook_;
  std::map<std::string, std::vector<nlohmann::json>> accepted_bodies_;
  std::string expected_authorization_;
  bool forbid_all_ = false;
  int pending_polls_ = 0;
  std::string registration_failure_;

  std::vector<ExperimentState> experiments_;
  int next_experiment_id_ = 1;
  std::map<std::string, RunState> runs_;
  int next_run_number_ = 1;
  std::map<std::string, RegisteredModelState> models_;
  std::map<std::string, std::map<int, VersionState>> versions_;
  std::map<std::string, std::string> artifacts_;
};

}  // namespace recsys::testing
