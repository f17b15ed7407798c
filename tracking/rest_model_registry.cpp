#include "tracking/rest_model_registry.hpp"

#include <algorithm>
#include <set>

#include "tracking/ids.hpp"
#include "tracking/mlflow_error.hpp"
#include "tracking/rest_tracking_store.hpp"

namespace recsys::tracking {

namespace {

constexpr int kSearchPageSize = 1000;

Tags tags_from_json(const nlohmann::json& list) {
  Tags tags;
  if (list.is_array()) {
    for (const auto& entry : list) {
      tags[entry.value("key", std::string())] = entry.value("value", std::string());
    }
  }
  return tags;
}

ModelVersion model_version_from_json(const nlohmann::json& json) {
  ModelVersion version;
  version.name = json.value("name", std::string());
  const auto& number = json.value("version", nlohmann::json());
  version.version = number.is_string() ? number.get<std::string>() : number.dump();
  if (json.contains("creation_timestamp")) {
    version.creation_timestamp = int64_from_json(json.at("creation_timestamp"));
  }
  if (json.contains("last_updated_timestamp")) {
    version.last_updated_timestamp = int64_from_json(json.at("last_updated_timestamp"));
  }
  version.current_stage = json.value("current_stage", std::string("None"));
  version.description = json.value("description", std::string());
  version.source = json.value("source", std::string());
  version.run_id = json.value("run_id", std::string());
  version.status = parse_model_version_status(json.value("status", std::string("READY")));
  version.status_message = json.value("status_message", std::string());
  version.tags = tags_from_json(json.value("tags", nlohmann::json::array()));
  for (const auto& alias : json.value("aliases", nlohmann::json::array())) {
    version.aliases.push_back(alias.get<std::string>());
  }
  return version;
}

RegisteredModel registered_model_from_json(const nlohmann::json& json) {
  RegisteredModel model;
  model.name = json.value("name", std::string());
  if (json.contains("creation_timestamp")) {
    model.creation_timestamp = int64_from_json(json.at("creation_timestamp"));
  }
  if (json.contains("last_updated_timestamp")) {
    model.last_updated_timestamp = int64_from_json(json.at("last_updated_timestamp"));
  }
  model.description = json.value("description", std::string());
  model.tags = tags_from_json(json.value("tags", nlohmann::json::array()));
  for (const auto& alias : json.value("aliases", nlohmann::json::array())) {
    model.aliases[alias.value("alias", std::string())] = alias.value("version", std::string());
  }
  return model;
}

void sort_newest_first(std::vector<ModelVersion>& versions) {
  std::sort(versions.begin(), versions.end(), [](const ModelVersion& a, const ModelVersion& b) {
    return a.name != b.name ? a.name < b.name
                            : version_number(a.version, "an MLflow response") >
                                  version_number(b.version, "an MLflow response");
  });
}

// Quotes a value for MLflow's search filter grammar (single quotes, backslash escapes).
std::string filter_literal(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') {
      quoted.push_back('\\');
    }
    quoted.push_back(c);
  }
  return quoted + "'";
}

}  // namespace

RestModelRegistry::RestModelRegistry(const RestClientOptions& options)
    : client_(std::make_unique<RestClient>(options)) {}

RegisteredModel RestModelRegistry::create_registered_model(const std::string& name) {
  const auto response = client_->call("POST", std::string(kMlflowApi) + "/registered-models/create",
                                      {{"name", name}});
  return registered_model_from_json(response.at("registered_model"));
}

std::optional<RegisteredModel> RestModelRegistry::get_registered_model(const std::string& name) {
  try {
    const auto response =
        client_->call("GET", std::string(kMlflowApi) + "/registered-models/get", {{"name", name}});
    return registered_model_from_json(response.at("registered_model"));
  } catch (const MlflowError& error) {
    if (error.error_code() == kResourceDoesNotExist) {
      return std::nullopt;
    }
    throw;
  }
}

ModelVersion RestModelRegistry::create_model_version(const std::string& name,
                                                     const std::string& source,
                                                     const std::string& run_id, const Tags& tags) {
  nlohmann::json tag_list = nlohmann::json::array();
  for (const auto& [key, value] : tags) {
    tag_list.push_back({{"key", key}, {"value", value}});
  }

  // Versions of this run that exist before the first attempt were not created by it.
  const std::string run_filter = "run_id=" + filter_literal(run_id);
  std::set<std::string> earlier_versions;
  if (!run_id.empty()) {
    for (const nlohmann::json& json : search_versions(run_filter)) {
      earlier_versions.insert(model_version_from_json(json).version);
    }
  }
  const RestClient::RetryCheck find_created_version = [&]() -> std::optional<nlohmann::json> {
    if (run_id.empty()) {
      return std::nullopt;
    }
    for (const nlohmann::json& json : search_versions(run_filter)) {
      const ModelVersion version = model_version_from_json(json);
      if (version.name == name && version.source == source &&
          earlier_versions.count(version.version) == 0) {
        return nlohmann::json{{"model_version", json}};
      }
    }
    return std::nullopt;
  };

  const auto response =
      client_->call("POST", std::string(kMlflowApi) + "/model-versions/create",
                    {{"name", name}, {"source", source}, {"run_id", run_id}, {"tags", tag_list}},
                    find_created_version);
  return model_version_from_json(response.at("model_version"));
}

ModelVersion RestModelRegistry::get_model_version(const std::string& name,
                                                  const std::string& version) {
  const auto response = client_->call("GET", std::string(kMlflowApi) + "/model-versions/get",
                                      {{"name", name}, {"version", version}});
  return model_version_from_json(response.at("model_version"));
}

void RestModelRegistry::set_model_version_tag(const std::string& name, const std::string& version,
                                              const std::string& key, const std::string& value) {
  client_->call("POST", std::string(kMlflowApi) + "/model-versions/set-tag",
                {{"name", name}, {"version", version}, {"key", key}, {"value", value}});
}

std::vector<nlohmann::json> RestModelRegistry::search_versions(const std::string& filter) {
  std::vector<nlohmann::json> versions;
  std::string page_token;
  do {
    nlohmann::json request = {{"max_results", kSearchPageSize}};
    if (!filter.empty()) {
      request["filter"] = filter;
    }
    if (!page_token.empty()) {
      request["page_token"] = page_token;
    }
    const auto response =
        client_->call("GET", std::string(kMlflowApi) + "/model-versions/search", request);
    for (const auto& json : response.value("model_versions", nlohmann::json::array())) {
      versions.push_back(json);
    }
    page_token = response.value("next_page_token", std::string());
  } while (!page_token.empty());
  return versions;
}

std::vector<ModelVersion> RestModelRegistry::search_model_versions(const std::string& name) {
  std::vector<ModelVersion> versions;
  for (const nlohmann::json& json :
       search_versions(name.empty() ? "" : "name=" + filter_literal(name))) {
    versions.push_back(model_version_from_json(json));
  }
  sort_newest_first(versions);
  return versions;
}

std::vector<ModelVersion> RestModelRegistry::search_model_versions_of_run(
    const std::string& run_id) {
  std::vector<ModelVersion> versions;
  // One run_id condition, the form that MLflow's file store documents (file_store.py).
  for (const nlohmann::json& json : search_versions("run_id=" + filter_literal(run_id))) {
    versions.push_back(model_version_from_json(json));
  }
  sort_newest_first(versions);
  return versions;
}

void RestModelRegistry::delete_model_version(const std::string& name, const std::string& version) {
  client_->call("DELETE", std::string(kMlflowApi) + "/model-versions/delete",
                {{"name", name}, {"version", version}});
}

void RestModelRegistry::set_registered_model_alias(const std::string& name,
                                                   const std::string& alias,
                                                   const std::string& version) {
  client_->call("POST", std::string(kMlflowApi) + "/registered-models/alias",
                {{"name", name}, {"alias", alias}, {"version", version}});
}

void RestModelRegistry::delete_registered_model_alias(const std::string& name,
                                                      const std::string& alias) {
  client_->call("DELETE", std::string(kMlflowApi) + "/registered-models/alias",
                {{"name", name}, {"alias", alias}});
}

ModelVersion RestModelRegistry::get_model_version_by_alias(const std::string& name,
                                                           const std::string& alias) {
  nlohmann::json response;
  try {
    response = client_->call("GET", std::string(kMlflowApi) + "/registered-models/alias",
                             {{"name", name}, {"alias", alias}});
  } catch (const MlflowError& error) {
    // MLflow's file store reports a missing alias as INVALID_PARAMETER_VALUE, the SQL store
    // as RESOURCE_DOES_NOT_EXIST, and callers see one code.
    if (error.error_code() == kInvalidParameterValue ||
        error.error_code() == kResourceDoesNotExist) {
      throw MlflowError(std::string(error.what()), kResourceDoesNotExist, error.http_status());
    }
    throw;
  }
  return model_version_from_json(response.at("model_version"));
}

}  // namespace recsys::tracking
