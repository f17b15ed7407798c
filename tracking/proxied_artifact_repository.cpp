#include "tracking/proxied_artifact_repository.hpp"

#include "core/error.hpp"
#include "tracking/rest_tracking_store.hpp"

namespace recsys::tracking {

namespace fs = std::filesystem;

namespace {

constexpr const char* kArtifactsEndpoint = "/api/2.0/mlflow-artifacts/artifacts";

std::string trim_slashes(std::string text) {
  while (text.starts_with("/")) {
    text.erase(0, 1);
  }
  while (text.ends_with("/")) {
    text.pop_back();
  }
  return text;
}

}  // namespace

ProxiedArtifactRepository::ProxiedArtifactRepository(const std::string& artifact_uri,
                                                     const TrackingConfig& config) {
  if (!config.is_rest) {
    throw Error("artifact URI '" + artifact_uri +
                "' needs an MLflow tracking server, but the tracking URI is the file store " +
                config.tracking_uri + "; set MLFLOW_TRACKING_URI to the server's http(s) URL");
  }
  RestClientOptions options = config.rest;
  std::string rest = artifact_uri.substr(std::string("mlflow-artifacts:").size());
  if (rest.starts_with("//")) {
    // mlflow-artifacts://host:port/path names the proxy host explicitly, with the same scheme.
    rest = rest.substr(2);
    const std::size_t slash = rest.find('/');
    const std::string authority = rest.substr(0, slash);
    const std::string scheme = options.base_url.substr(0, options.base_url.find("://"));
    if (!authority.empty()) {
      options.base_url = scheme + "://" + authority;
    }
    rest = slash == std::string::npos ? "" : rest.substr(slash);
  }
  root_ = trim_slashes(rest);
  client_ = std::make_unique<RestClient>(options);
}

std::string ProxiedArtifactRepository::full_path(const std::string& path) const {
  const std::string relative = trim_slashes(path);
  if (root_.empty()) {
    return relative;
  }
  return relative.empty() ? root_ : root_ + "/" + relative;
}

std::string ProxiedArtifactRepository::endpoint_for(const std::string& path) const {
  std::string endpoint = kArtifactsEndpoint;
  const std::string full = full_path(path);
  std::size_t start = 0;
  while (start <= full.size()) {
    const std::size_t slash = full.find('/', start);
    const std::string segment = full.substr(start, slash - start);
    if (segment == ".." || segment == ".") {
      throw Error("invalid artifact path '" + path + "': '.' and '..' are not allowed");
    }
    endpoint += "/" + url_encode(segment);
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  return endpoint;
}

void ProxiedArtifactRepository::log_artifact(const fs::path& local_file,
                                             const std::string& artifact_directory) {
  const std::string directory = trim_slashes(artifact_directory);
  const std::string name = local_file.filename().string();
  client_->upload_file(endpoint_for(directory.empty() ? name : directory + "/" + name), local_file);
}

std::vector<FileInfo> ProxiedArtifactRepository::list_artifacts(const std::string& path) {
  nlohmann::json request = nlohmann::json::object();
  const std::string full = full_path(path);
  if (!full.empty()) {
    request["path"] = full;
  }
  const nlohmann::json response = client_->call("GET", kArtifactsEndpoint, request);

  // The proxy returns base names, which become paths relative to this repository's root.
  const std::string directory = trim_slashes(path);
  std::vector<FileInfo> files;
  for (const auto& entry : response.value("files", nlohmann::json::array())) {
    FileInfo info;
    const std::string name = entry.value("path", std::string());
    const std::size_t slash = name.rfind('/');
    const std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
    info.path = directory.empty() ? base : directory + "/" + base;
    info.is_dir = entry.value("is_dir", false);
    if (entry.contains("file_size")) {
      info.file_size = int64_from_json(entry.at("file_size"));
    }
    files.push_back(info);
  }
  return files;
}

void ProxiedArtifactRepository::download_artifact(const std::string& path,
                                                  const fs::path& local_file) {
  client_->download_file(endpoint_for(path), local_file);
}

}  // namespace recsys::tracking
