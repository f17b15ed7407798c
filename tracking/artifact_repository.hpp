#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tracking/entities.hpp"
#include "tracking/tracking_config.hpp"

namespace recsys::tracking {

// Files under one artifact URI, such as a run's artifact_uri or a model version's source.
// Paths are relative to that root and use '/'.
class ArtifactRepository {
 public:
  virtual ~ArtifactRepository() = default;

  // Stores `local_file` as `<artifact_directory>/<file name>`. The root is "".
  virtual void log_artifact(const std::filesystem::path& local_file,
                            const std::string& artifact_directory) = 0;
  // The direct children of `path` ("" is the root), with paths relative to the root.
  virtual std::vector<FileInfo> list_artifacts(const std::string& path) = 0;
  virtual void download_artifact(const std::string& path,
                                 const std::filesystem::path& local_file) = 0;

  // Stores every file under `local_directory` below `artifact_directory`, keeping the tree.
  void log_artifacts(const std::filesystem::path& local_directory,
                     const std::string& artifact_directory);
  // Every file below `path`, recursively, with paths relative to the root.
  std::vector<FileInfo> list_files_recursively(const std::string& path);
  // Copies the tree below `path` into `local_directory` (which is created).
  void download_artifacts(const std::string& path, const std::filesystem::path& local_directory);
};

// Opens the repository of `artifact_uri`: "file:" URIs and plain paths are local directories;
// "mlflow-artifacts:" URIs go through the tracking server's artifact proxy named by `config`.
std::unique_ptr<ArtifactRepository> open_artifact_repository(const std::string& artifact_uri,
                                                             const TrackingConfig& config);

}  // namespace recsys::tracking
