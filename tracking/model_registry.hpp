#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tracking/entities.hpp"
#include "tracking/tracking_config.hpp"

namespace recsys::tracking {

// The stage MLflow gives a deleted version that a store still lists.
inline constexpr const char* kDeletedStage = "Deleted_Internal";

// MLflow's model registry: registered models, their versions, version tags and aliases.
// Implemented by the file store (./mlruns/models) and by the REST client of a tracking server.
class ModelRegistry {
 public:
  virtual ~ModelRegistry() = default;

  // Creates a registered model. Throws RESOURCE_ALREADY_EXISTS if the name is taken.
  virtual RegisteredModel create_registered_model(const std::string& name) = 0;
  // The registered model, or nullopt when it does not exist.
  virtual std::optional<RegisteredModel> get_registered_model(const std::string& name) = 0;
  // Creates the next version of `name` whose artifacts are at `source`.
  virtual ModelVersion create_model_version(const std::string& name, const std::string& source,
                                            const std::string& run_id, const Tags& tags) = 0;
  // RESOURCE_DOES_NOT_EXIST when the version does not exist or was deleted.
  virtual ModelVersion get_model_version(const std::string& name, const std::string& version) = 0;
  virtual void set_model_version_tag(const std::string& name, const std::string& version,
                                     const std::string& key, const std::string& value) = 0;
  // Every version of `name` (every version of every model when `name` is empty), newest first.
  virtual std::vector<ModelVersion> search_model_versions(const std::string& name) = 0;
  // Every version created from run `run_id`, of any registered model, newest first.
  virtual std::vector<ModelVersion> search_model_versions_of_run(const std::string& run_id) = 0;
  virtual void delete_model_version(const std::string& name, const std::string& version) = 0;

  // Points `alias` at `version`, replacing its previous target in one operation.
  virtual void set_registered_model_alias(const std::string& name, const std::string& alias,
                                          const std::string& version) = 0;
  virtual void delete_registered_model_alias(const std::string& name, const std::string& alias) = 0;
  // The version `alias` points at. Throws MlflowError RESOURCE_DOES_NOT_EXIST when the alias
  // is not set or its version no longer exists.
  virtual ModelVersion get_model_version_by_alias(const std::string& name,
                                                  const std::string& alias) = 0;
};

std::unique_ptr<ModelRegistry> open_model_registry(const TrackingConfig& config);

// The newest version of `name` created from `run_id` with artifacts at `source` whose
// registration did not fail, or nullopt. Registering a run again reuses this version.
std::optional<ModelVersion> find_version_of_run(ModelRegistry& registry, const std::string& name,
                                                const std::string& run_id,
                                                const std::string& source);

}  // namespace recsys::tracking
