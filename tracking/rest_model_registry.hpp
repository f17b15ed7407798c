#pragma once

#include <memory>

#include "tracking/model_registry.hpp"
#include "tracking/rest_client.hpp"

namespace recsys::tracking {

// The model registry of an MLflow server over REST (model_registry.proto). Creating a model
// version is not idempotent, so a retry of model-versions/create first searches for the
// version that the lost attempt may have created, and returns it when found.
class RestModelRegistry : public ModelRegistry {
 public:
  explicit RestModelRegistry(const RestClientOptions& options);

  RegisteredModel create_registered_model(const std::string& name) override;
  std::optional<RegisteredModel> get_registered_model(const std::string& name) override;
  ModelVersion create_model_version(const std::string& name, const std::string& source,
                                    const std::string& run_id, const Tags& tags) override;
  ModelVersion get_model_version(const std::string& name, const std::string& version) override;
  void set_model_version_tag(const std::string& name, const std::string& version,
                             const std::string& key, const std::string& value) override;
  std::vector<ModelVersion> search_model_versions(const std::string& name) override;
  std::vector<ModelVersion> search_model_versions_of_run(const std::string& run_id) override;
  void delete_model_version(const std::string& name, const std::string& version) override;
  void set_registered_model_alias(const std::string& name, const std::string& alias,
                                  const std::string& version) override;
  void delete_registered_model_alias(const std::string& name, const std::string& alias) override;
  ModelVersion get_model_version_by_alias(const std::string& name,
                                          const std::string& alias) override;

 private:
  // Every page of model-versions/search for `filter` (MLflow's search filter grammar), as the
  // JSON model versions the server returned.
  std::vector<nlohmann::json> search_versions(const std::string& filter);

  std::unique_ptr<RestClient> client_;
};

}  // namespace recsys::tracking
