#pragma once

#include <filesystem>

#include "tracking/model_registry.hpp"

namespace recsys::tracking {

// Throws MlflowError INVALID_PARAMETER_VALUE for a name the file store cannot hold: empty, "."
// or "..", or containing '/', '\\' or '%'.
void validate_registered_model_name(const std::string& name);

// MLflow's file-based model registry, in the layout of
// mlflow/store/model_registry/file_store.py (MLflow 2.x):
//
//   <root>/models/<name>/meta.yaml                  registered model
//   <root>/models/<name>/tags/<key>                 registered model tag
//   <root>/models/<name>/aliases/<alias>            the version number the alias points at
//   <root>/models/<name>/version-<n>/meta.yaml      model version
//   <root>/models/<name>/version-<n>/tags/<key>     model version tag
//
// A deleted version keeps its directory with current_stage "Deleted_Internal", as MLflow does.
// Only create_registered_model creates the root and models/, so reading a registry that does
// not exist finds nothing and leaves no directory behind.
class FileModelRegistry : public ModelRegistry {
 public:
  // Opens the registry of the file store at `root`, which need not exist. Throws
  // recsys::Error when `root` exists but is not a directory.
  explicit FileModelRegistry(std::filesystem::path root);

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
  std::filesystem::path model_directory(const std::string& name) const;
  std::filesystem::path existing_model_directory(const std::string& name) const;
  RegisteredModel read_registered_model(const std::filesystem::path& directory) const;
  void write_registered_model(const std::filesystem::path& directory,
                              const RegisteredModel& model) const;
  void touch_registered_model(const std::string& name) const;
  // Reads a version, deleted ones included. Returns nullopt when the directory is missing.
  std::optional<ModelVersion> read_version(const std::filesystem::path& directory) const;
  void write_version_meta(const std::filesystem::path& directory, const ModelVersion& version,
                          const std::string& storage_location) const;

  std::filesystem::path root_;
};

}  // namespace recsys::tracking
