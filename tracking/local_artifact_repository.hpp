#pragma once

#include <filesystem>

#include "tracking/artifact_repository.hpp"

namespace recsys::tracking {

// Artifacts in a local directory, as MLflow's file store keeps them (<run>/artifacts/...).
class LocalArtifactRepository : public ArtifactRepository {
 public:
  explicit LocalArtifactRepository(std::filesystem::path root);

  void log_artifact(const std::filesystem::path& local_file,
                    const std::string& artifact_directory) override;
  std::vector<FileInfo> list_artifacts(const std::string& path) override;
  void download_artifact(const std::string& path, const std::filesystem::path& local_file) override;

 private:
  std::filesystem::path resolve(const std::string& path) const;

  std::filesystem::path root_;
};

}  // namespace recsys::tracking
