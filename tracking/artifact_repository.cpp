#include "tracking/artifact_repository.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "tracking/local_artifact_repository.hpp"
#include "tracking/local_files.hpp"
#include "tracking/proxied_artifact_repository.hpp"

namespace recsys::tracking {

namespace fs = std::filesystem;

namespace {

std::string join_artifact_path(const std::string& directory, const std::string& name) {
  if (directory.empty()) {
    return name;
  }
  if (name.empty()) {
    return directory;
  }
  return directory + "/" + name;
}

}  // namespace

void ArtifactRepository::log_artifacts(const fs::path& local_directory,
                                       const std::string& artifact_directory) {
  if (!fs::is_directory(local_directory)) {
    throw Error("cannot log artifacts from " + local_directory.string() +
                ": it is not a directory");
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(local_directory)) {
    if (entry.is_regular_file()) {
      files.push_back(entry.path());
    }
  }
  // A fixed order makes uploads and their logs reproducible.
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    const fs::path relative_directory = file.parent_path().lexically_relative(local_directory);
    std::string directory = artifact_directory;
    if (!relative_directory.empty() && relative_directory != ".") {
      directory = join_artifact_path(artifact_directory, relative_directory.generic_string());
    }
    log_artifact(file, directory);
  }
}

std::vector<FileInfo> ArtifactRepository::list_files_recursively(const std::string& path) {
  std::vector<FileInfo> files;
  for (const FileInfo& info : list_artifacts(path)) {
    if (info.is_dir) {
      std::vector<FileInfo> nested = list_files_recursively(info.path);
      files.insert(files.end(), nested.begin(), nested.end());
    } else {
      files.push_back(info);
    }
  }
  return files;
}

void ArtifactRepository::download_artifacts(const std::string& path,
                                            const fs::path& local_directory) {
  const std::vector<FileInfo> files = list_files_recursively(path);
  if (files.empty()) {
    throw Error("no artifacts found at '" + path + "': check the artifact path or run id");
  }
  fs::create_directories(local_directory);
  for (const FileInfo& info : files) {
    std::string relative = info.path;
    if (!path.empty()) {
      relative = info.path.substr(path.size() + (info.path.size() > path.size() ? 1 : 0));
    }
    // A listing from a server must not write outside the target directory.
    const fs::path relative_path = fs::path(relative).lexically_normal();
    if (relative_path.empty() || relative_path.is_absolute() || *relative_path.begin() == "..") {
      throw Error("rejected artifact '" + info.path + "': its path leads outside " +
                  local_directory.string());
    }
    const fs::path target = local_directory / relative_path;
    fs::create_directories(target.parent_path());
    download_artifact(info.path, target);
  }
}

std::unique_ptr<ArtifactRepository> open_artifact_repository(const std::string& artifact_uri,
                                                             const TrackingConfig& config) {
  if (artifact_uri.starts_with("mlflow-artifacts:")) {
    return std::make_unique<ProxiedArtifactRepository>(artifact_uri, config);
  }
  if (artifact_uri.starts_with("file:")) {
    return std::make_unique<LocalArtifactRepository>(file_uri_to_path(artifact_uri));
  }
  if (artifact_uri.find("://") != std::string::npos) {
    throw Error("unsupported artifact URI '" + artifact_uri +
                "': only file: and mlflow-artifacts: URIs are supported; start the tracking "
                "server with artifact proxying (mlflow server --serve-artifacts, the default "
                "since MLflow 2.0)");
  }
  return std::make_unique<LocalArtifactRepository>(fs::path(artifact_uri));
}

}  // namespace recsys::tracking
