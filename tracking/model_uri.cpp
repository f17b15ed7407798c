#include "tracking/model_uri.hpp"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "core/error.hpp"
#include "tracking/artifact_repository.hpp"
#include "tracking/local_files.hpp"
#include "tracking/mlflow_error.hpp"
#include "tracking/model_registry.hpp"
#include "tracking/tracking_store.hpp"

namespace recsys::tracking {

namespace fs = std::filesystem;

namespace {

constexpr const char* kModelsScheme = "models:/";
constexpr const char* kRunsScheme = "runs:/";

// The registry entry and artifact location a URI names, before any download.
struct ModelLocation {
  ResolvedModel model;
  std::string artifact_uri;
  fs::path cache_key;  // Relative path of the cached copy.
};

ModelLocation locate_registered(const std::string& uri, const TrackingConfig& config) {
  const ModelUri parsed = parse_model_uri(uri);
  auto registry = open_model_registry(config);
  ModelVersion version;
  try {
    version = parsed.alias.empty()
                  ? registry->get_model_version(parsed.name, parsed.version)
                  : registry->get_model_version_by_alias(parsed.name, parsed.alias);
  } catch (const MlflowError& error) {
    if (error.error_code() != kResourceDoesNotExist) {
      throw;
    }
    throw Error("cannot resolve " + uri + ": " + error.what() +
                "; list the versions and aliases with: recsys models list --registered-model " +
                parsed.name + " --tracking-uri " + redact_url(config.tracking_uri));
  }
  if (version.status != ModelVersionStatus::kReady) {
    throw Error("cannot resolve " + uri + ": version " + version.version + " has status " +
                to_string(version.status) + ", not READY");
  }
  ModelLocation location;
  location.model.name = parsed.name;
  location.model.version = version.version;
  location.model.alias = parsed.alias;
  location.model.run_id = version.run_id;
  location.model.source = version.source;
  location.artifact_uri = version.source;
  // The run id keeps copies from different tracking stores apart: version 1 of one store is
  // not version 1 of another.
  location.cache_key =
      fs::path("models") / parsed.name /
      (version.version + "-" + (version.run_id.empty() ? "norun" : version.run_id));
  return location;
}

ModelLocation locate_run_artifact(const std::string& uri, const TrackingConfig& config) {
  const std::string rest = uri.substr(std::string(kRunsScheme).size());
  const std::size_t slash = rest.find('/');
  const std::string run_id = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (run_id.empty() || path.empty()) {
    throw Error("invalid model URI '" + uri + "': expected runs:/<run_id>/<artifact path>");
  }
  auto store = open_tracking_store(config);
  const Run run = store->get_run(run_id);
  ModelLocation location;
  location.model.run_id = run_id;
  location.model.source = run.info.artifact_uri + "/" + path;
  location.artifact_uri = location.model.source;
  location.cache_key = fs::path("runs") / run_id / path;
  return location;
}

// Reads run_id from an MLmodel file when the directory has one.
std::string mlmodel_run_id(const fs::path& directory) {
  const fs::path file = directory / "MLmodel";
  if (!fs::exists(file)) {
    return "";
  }
  try {
    const YAML::Node model = YAML::LoadFile(file.string());
    return model["run_id"] ? model["run_id"].as<std::string>() : "";
  } catch (const YAML::Exception& error) {
    throw Error("cannot parse " + file.string() + ": " + error.what());
  }
}

void check_model_directory(const fs::path& directory, const std::string& uri) {
  if (!fs::exists(directory / "model.json")) {
    throw Error("model " + uri + " has no model.json in " + directory.string() +
                "; it is not a recsys model directory");
  }
}

// Downloads the model into `target` through a temporary sibling directory.
void download_to(const ModelLocation& location, const TrackingConfig& config,
                 const fs::path& target, const std::string& uri) {
  const fs::path staging = temporary_sibling(target);
  fs::create_directories(staging.parent_path());
  try {
    auto artifacts = open_artifact_repository(location.artifact_uri, config);
    artifacts->download_artifacts("", staging);
    check_model_directory(staging, uri);
    std::error_code error;
    fs::remove(target, error);  // An empty directory left by the caller.
    fs::rename(staging, target, error);
    if (error) {
      throw Error("cannot move the downloaded model to " + target.string() + ": " +
                  error.message() + "; remove that directory and try again");
    }
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw;
  }
}

bool is_remote(const std::string& uri) {
  return uri.starts_with(kModelsScheme) || uri.starts_with(kRunsScheme);
}

ModelLocation locate(const std::string& uri, const TrackingConfig& config) {
  if (uri.starts_with(kModelsScheme)) {
    return locate_registered(uri, config);
  }
  return locate_run_artifact(uri, config);
}

ResolvedModel resolve_local(const std::string& uri) {
  const fs::path directory = uri.starts_with("file:") ? file_uri_to_path(uri) : fs::path(uri);
  if (!fs::is_directory(directory)) {
    throw Error("model " + uri +
                " is not a directory; use models:/<name>@<alias>, models:/<name>/<version>, "
                "runs:/<run_id>/model or the path of a model directory");
  }
  check_model_directory(directory, uri);
  ResolvedModel model;
  model.directory = fs::absolute(directory);
  model.run_id = mlmodel_run_id(directory);
  model.source = uri;
  return model;
}

}  // namespace

ModelUri parse_model_uri(const std::string& uri) {
  const std::string usage = "expected models:/<name>@<alias> or models:/<name>/<version>";
  if (!uri.starts_with(kModelsScheme)) {
    throw Error("invalid model URI '" + uri + "': " + usage);
  }
  const std::string rest = uri.substr(std::string(kModelsScheme).size());
  ModelUri parsed;
  const std::size_t at = rest.rfind('@');
  const std::size_t slash = rest.rfind('/');
  if (at != std::string::npos && (slash == std::string::npos || at > slash)) {
    parsed.name = rest.substr(0, at);
    parsed.alias = rest.substr(at + 1);
  } else if (slash != std::string::npos) {
    parsed.name = rest.substr(0, slash);
    parsed.version = rest.substr(slash + 1);
    if (parsed.version.empty() ||
        parsed.version.find_first_not_of("0123456789") != std::string::npos) {
      throw Error("invalid model URI '" + uri + "': version '" + parsed.version +
                  "' is not a number; " + usage);
    }
  }
  if (parsed.name.empty() || (parsed.alias.empty() && parsed.version.empty()) ||
      parsed.name.find('/') != std::string::npos) {
    throw Error("invalid model URI '" + uri + "': " + usage);
  }
  return parsed;
}

ResolvedModel resolve_model_uri(const std::string& uri, const fs::path& cache_dir,
                                const std::string& tracking_uri) {
  if (!is_remote(uri)) {
    return resolve_local(uri);
  }
  const TrackingConfig config = resolve_tracking_config(tracking_uri);
  ModelLocation location = locate(uri, config);
  const fs::path target = fs::absolute(cache_dir / location.cache_key);
  if (fs::exists(target / "model.json")) {
    spdlog::info("using cached model {} from {}", uri, target.string());
  } else {
    spdlog::info("downloading model {} from {} to {}", uri, location.artifact_uri, target.string());
    download_to(location, config, target, uri);
  }
  location.model.directory = target;
  return location.model;
}

ResolvedModel download_model(const std::string& uri, const fs::path& out_dir,
                             const std::string& tracking_uri) {
  if (fs::exists(out_dir) && !fs::is_empty(out_dir)) {
    throw Error("output directory " + out_dir.string() +
                " is not empty; choose a new directory or remove it");
  }
  const fs::path target = fs::absolute(out_dir);
  if (!is_remote(uri)) {
    ResolvedModel model = resolve_local(uri);
    const fs::path staging = temporary_sibling(target);
    fs::create_directories(staging.parent_path());
    fs::copy(model.directory, staging, fs::copy_options::recursive);
    std::error_code ignored;
    fs::remove(target, ignored);
    fs::rename(staging, target);
    model.directory = target;
    return model;
  }
  const TrackingConfig config = resolve_tracking_config(tracking_uri);
  ModelLocation location = locate(uri, config);
  download_to(location, config, target, uri);
  location.model.directory = target;
  return location.model;
}

}  // namespace recsys::tracking
