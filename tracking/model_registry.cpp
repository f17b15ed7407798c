#include "tracking/model_registry.hpp"

#include "tracking/file_model_registry.hpp"
#include "tracking/ids.hpp"
#include "tracking/rest_model_registry.hpp"

namespace recsys::tracking {

namespace {

std::string without_trailing_slashes(std::string uri) {
  while (uri.size() > 1 && uri.back() == '/') {
    uri.pop_back();
  }
  return uri;
}

}  // namespace

std::unique_ptr<ModelRegistry> open_model_registry(const TrackingConfig& config) {
  if (config.is_rest) {
    return std::make_unique<RestModelRegistry>(config.rest);
  }
  return std::make_unique<FileModelRegistry>(config.file_root);
}

std::optional<ModelVersion> find_version_of_run(ModelRegistry& registry, const std::string& name,
                                                const std::string& run_id,
                                                const std::string& source) {
  const std::string expected_source = without_trailing_slashes(source);
  std::optional<ModelVersion> newest;
  for (ModelVersion& version : registry.search_model_versions_of_run(run_id)) {
    const bool matches = version.name == name && version.run_id == run_id &&
                         without_trailing_slashes(version.source) == expected_source &&
                         version.status != ModelVersionStatus::kFailedRegistration &&
                         version.current_stage != kDeletedStage;
    if (matches && (!newest || version_number(version.version, "the model registry") >
                                   version_number(newest->version, "the model registry"))) {
      newest = std::move(version);
    }
  }
  return newest;
}

}  // namespace recsys::tracking
