#include "tracking/rest_tracking_store.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "tracking/ids.hpp"
#include "tracking/mlflow_error.hpp"
#include "tracking/tag_names.hpp"

namespace recsys::tracking {

namespace {

nlohmann::json key_values(const std::map<std::string, std::string>& entries) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, value] : entries) {
    list.push_back({{"key", key}, {"value", value}});
  }
  return list;
}

std::map<std::string, std::string> key_values_from_json(const nlohmann::json& list) {
  std::map<std::string, std::string> entries;
  if (!list.is_array()) {
    return entries;
  }
  for (const auto& entry : list) {
    entries[entry.value("key", std::string())] = entry.value("value", std::string());
  }
  return entries;
}

RunInfo run_info_from_json(const nlohmann::json& info) {
  RunInfo run;
  run.run_id = info.value("run_id", info.value("run_uuid", std::string()));
  run.experiment_id = info.value("experiment_id", std::string());
  run.run_name = info.value("run_name", std::string());
  run.user_id = info.value("user_id", std::string());
  run.status = parse_run_status(info.value("status", std::string("RUNNING")));
  if (info.contains("start_time")) {
    run.start_time_ms = int64_from_json(info.at("start_time"));
  }
  if (info.contains("end_time")) {
    run.end_time_ms = int64_from_json(info.at("end_time"));
  }
  run.artifact_uri = info.value("artifact_uri", std::string());
  run.lifecycle_stage = info.value("lifecycle_stage", std::string("active"));
  return run;
}

}  // namespace

nlohmann::json metric_value_to_json(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "Infinity" : "-Infinity";
  }
  return value;
}

double metric_value_from_json(const nlohmann::json& value) {
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
    try {
      return std::stod(text);
    } catch (const std::exception&) {
      // Reported below with the value.
    }
  }
  throw Error("invalid metric value " + value.dump() + " in an MLflow response");
}

std::int64_t int64_from_json(const nlohmann::json& value) {
  if (value.is_number_integer()) {
    return value.get<std::int64_t>();
  }
  if (value.is_string()) {
    try {
      return std::stoll(value.get<std::string>());
    } catch (const std::exception&) {
      // Reported below with the value.
    }
  }
  throw Error("invalid integer " + value.dump() + " in an MLflow response");
}

RestTrackingStore::RestTrackingStore(const RestClientOptions& options)
    : client_(std::make_unique<RestClient>(options)) {}

std::optional<Experiment> RestTrackingStore::get_experiment_by_name(const std::string& name) {
  nlohmann::json response;
  try {
    response = client_->call("GET", std::string(kMlflowApi) + "/experiments/get-by-name",
                             {{"experiment_name", name}});
  } catch (const MlflowError& error) {
    if (error.error_code() == kResourceDoesNotExist) {
      return std::nullopt;
    }
    throw;
  }
  const auto& json = response.at("experiment");
  Experiment experiment;
  experiment.experiment_id = json.value("experiment_id", std::string());
  experiment.name = json.value("name", std::string());
  experiment.artifact_location = json.value("artifact_location", std::string());
  experiment.lifecycle_stage = json.value("lifecycle_stage", std::string("active"));
  if (experiment.lifecycle_stage != "active") {
    throw MlflowError("experiment '" + name + "' (id " + experiment.experiment_id +
                          ") is deleted; restore it in the MLflow UI or choose another name",
                      kInvalidParameterValue);
  }
  return experiment;
}

std::string RestTrackingStore::create_experiment(const std::string& name) {
  const auto response =
      client_->call("POST", std::string(kMlflowApi) + "/experiments/create", {{"name", name}});
  return response.at("experiment_id").get<std::string>();
}

RunInfo RestTrackingStore::create_run(const std::string& experiment_id, const std::string& run_name,
                                      std::int64_t start_time_ms, const Tags& tags) {
  validate_log_batch({}, {}, tags);
  Tags sent_tags = tags;
  const std::string request_key = random_uuid_hex();
  sent_tags[kCreateRequestTag] = request_key;
  nlohmann::json request = {{"experiment_id", experiment_id},
                            {"start_time", start_time_ms},
                            {"tags", key_values(sent_tags)}};
  if (!run_name.empty()) {
    request["run_name"] = run_name;
  }
  // MLflow's Python client takes the run's user_id from the mlflow.user tag.
  if (const auto user = tags.find(kUserTag); user != tags.end()) {
    request["user_id"] = user->second;
  }

  // Sending runs/create again after a lost response would start a second run and leave the
  // first one RUNNING forever, so a retry looks for the first one.
  const RestClient::RetryCheck find_created_run = [&]() -> std::optional<nlohmann::json> {
    const auto found = client_->call(
        "POST", std::string(kMlflowApi) + "/runs/search",
        {{"experiment_ids", nlohmann::json::array({experiment_id})},
         {"filter", std::string("tags.`") + kCreateRequestTag + "` = '" + request_key + "'"},
         {"max_results", 1}});
    const auto runs = found.value("runs", nlohmann::json::array());
    if (runs.empty()) {
      return std::nullopt;
    }
    return nlohmann::json{{"run", runs.at(0)}};
  };
  const auto response =
      client_->call("POST", std::string(kMlflowApi) + "/runs/create", request, find_created_run);
  return run_info_from_json(response.at("run").at("info"));
}

void RestTrackingStore::log_batch(const std::string& run_id, const std::vector<Metric>& metrics,
                                  const Params& params, const Tags& tags) {
  validate_log_batch(metrics, params, tags);
  for (const LogBatchChunk& chunk : split_log_batch(metrics, params, tags)) {
    nlohmann::json metric_list = nlohmann::json::array();
    for (const Metric& metric : chunk.metrics) {
      metric_list.push_back({{"key", metric.key},
                             {"value", metric_value_to_json(metric.value)},
                             {"timestamp", metric.timestamp_ms},
                             {"step", metric.step}});
    }
    client_->call("POST", std::string(kMlflowApi) + "/runs/log-batch",
                  {{"run_id", run_id},
                   {"metrics", metric_list},
                   {"params", key_values(chunk.params)},
                   {"tags", key_values(chunk.tags)}});
  }
}

void RestTrackingStore::log_inputs(const std::string& run_id,
                                   const std::vector<DatasetInput>& datasets) {
  nlohmann::json list = nlohmann::json::array();
  for (const DatasetInput& input : datasets) {
    nlohmann::json dataset = {{"name", input.dataset.name},
                              {"digest", input.dataset.digest},
                              {"source_type", input.dataset.source_type},
                              {"source", input.dataset.source}};
    if (input.dataset.schema) {
      dataset["schema"] = *input.dataset.schema;
    }
    if (input.dataset.profile) {
      dataset["profile"] = *input.dataset.profile;
    }
    list.push_back({{"tags", key_values(input.tags)}, {"dataset", dataset}});
  }
  client_->call("POST", std::string(kMlflowApi) + "/runs/log-inputs",
                {{"run_id", run_id}, {"datasets", list}});
}

void RestTrackingStore::update_run(const std::string& run_id, RunStatus status,
                                   std::int64_t end_time_ms) {
  client_->call("POST", std::string(kMlflowApi) + "/runs/update",
                {{"run_id", run_id}, {"status", to_string(status)}, {"end_time", end_time_ms}});
}

Run RestTrackingStore::get_run(const std::string& run_id) {
  const auto response =
      client_->call("GET", std::string(kMlflowApi) + "/runs/get", {{"run_id", run_id}});
  const auto& json = response.at("run");
  Run run;
  run.info = run_info_from_json(json.at("info"));
  const auto data = json.value("data", nlohmann::json::object());
  for (const auto& metric : data.value("metrics", nlohmann::json::array())) {
    run.metrics[metric.value("key", std::string())] = metric_value_from_json(metric.at("value"));
  }
  run.params = key_values_from_json(data.value("params", nlohmann::json::array()));
  run.tags = key_values_from_json(data.value("tags", nlohmann::json::array()));
  return run;
}

}  // namespace recsys::tracking
