#include "tracking/model_registry.hpp"

#include "tracking/file_model_registry.hpp"
#include "tracking/rest_model_registry.hpp"

namespace recsys::tracking {

std::unique_ptr<ModelRegistry> open_model_registry(const TrackingConfig& config) {
  if (config.is_rest) {
    return std::make_unique<RestModelRegistry>(config.rest);
  }
  return std::make_unique<FileModelRegistry>(config.file_root);
}

}  // namespace recsys::tracking
