#pragma once

#include <memory>
#include <string>

#include "tracking/artifact_repository.hpp"
#include "tracking/rest_client.hpp"

namespace recsys::tracking {

// Artifacts served by a tracking server's artifact proxy (mlflow_artifacts.proto):
// PUT and GET /api/2.0/mlflow-artifacts/artifacts/<path> and
// GET /api/2.0/mlflow-artifacts/artifacts?path=<directory>. Handles mlflow-artifacts:/<path>
// URIs, and mlflow-artifacts://host:port/<path> for a proxy on another host.
class ProxiedArtifactRepository : public ArtifactRepository {
 public:
  ProxiedArtifactRepository(const std::string& artifact_uri, const TrackingConfig& config);

  void log_artifact(const std::filesystem::path& local_file,
                    const std::string& artifact_directory) override;
  std::vector<FileInfo> list_artifacts(const std::string& path) override;
  void download_artifact(const std::string& path, const std::filesystem::path& local_file) override;

 private:
  std::string endpoint_for(const std::string& path) const;
  std::string full_path(const std::string& path) const;

  std::string root_;  // Path below the proxy root, without leading or trailing '/'.
  std::unique_ptr<RestClient> client_;
};

}  // namespace recsys::tracking
