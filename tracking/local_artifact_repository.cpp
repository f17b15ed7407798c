#include "tracking/local_artifact_repository.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "tracking/local_files.hpp"

namespace recsys::tracking {

namespace fs = std::filesystem;

LocalArtifactRepository::LocalArtifactRepository(fs::path root) : root_(std::move(root)) {}

fs::path LocalArtifactRepository::resolve(const std::string& path) const {
  if (path.find("..") != std::string::npos || path.starts_with("/")) {
    throw Error("invalid artifact path '" + path + "': use a relative path without '..'");
  }
  return path.empty() ? root_ : root_ / path;
}

void LocalArtifactRepository::log_artifact(const fs::path& local_file,
                                           const std::string& artifact_directory) {
  copy_file_atomically(local_file, resolve(artifact_directory) / local_file.filename());
}

std::vector<FileInfo> LocalArtifactRepository::list_artifacts(const std::string& path) {
  const fs::path directory = resolve(path);
  std::vector<FileInfo> files;
  if (!fs::is_directory(directory)) {
    return files;
  }
  for (const auto& entry : fs::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".") && name.find(".tmp-") != std::string::npos) {
      continue;  // A temporary file of a write in progress.
    }
    FileInfo info;
    info.path = path.empty() ? name : path + "/" + name;
    info.is_dir = entry.is_directory();
    info.file_size = info.is_dir ? 0 : static_cast<std::int64_t>(entry.file_size());
    files.push_back(info);
  }
  std::sort(files.begin(), files.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
  return files;
}

void LocalArtifactRepository::download_artifact(const std::string& path,
                                                const fs::path& local_file) {
  const fs::path source = resolve(path);
  if (!fs::is_regular_file(source)) {
    throw Error("artifact " + source.string() + " does not exist");
  }
  copy_file_atomically(source, local_file);
}

}  // namespace recsys::tracking
