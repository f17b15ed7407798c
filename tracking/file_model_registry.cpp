#include "tracking/file_model_registry.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <regex>

#include "core/error.hpp"
#include "tracking/file_tracking_store.hpp"
#include "tracking/ids.hpp"
#include "tracking/local_files.hpp"
#include "tracking/mlflow_error.hpp"
#include "tracking/yaml_text.hpp"

namespace recsys::tracking {

namespace fs = std::filesystem;

void validate_registered_model_name(const std::string& name) {
  if (name.empty()) {
    throw MlflowError("registered model name must not be empty", kInvalidParameterValue);
  }
  if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos ||
      name.find('%') != std::string::npos || name == "." || name == "..") {
    throw MlflowError("invalid registered model name '" + name +
                          "': it must not be '.' or '..' or contain '/', '\\' or '%'",
                      kInvalidParameterValue);
  }
}

namespace {

constexpr int kCreateVersionAttempts = 3;

// Alias rules of mlflow/utils/validation.py _validate_model_alias_name.
void validate_alias(const std::string& alias) {
  static const std::regex valid(R"(^[\w\-]+$)");
  static const std::regex version_like(R"(^[vV]\d+$)");
  std::string lower = alias;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!std::regex_match(alias, valid) || alias.size() > 255 || lower == "latest" ||
      std::regex_match(alias, version_like)) {
    throw MlflowError("invalid alias '" + alias +
                          "': use letters, digits, '_' and '-', not 'latest' or v<number>",
                      kInvalidParameterValue);
  }
}

void validate_version(const std::string& version) {
  if (version.empty() || version.find_first_not_of("0123456789") != std::string::npos) {
    throw MlflowError("Model version must be an integer, got '" + version + "'",
                      kInvalidParameterValue);
  }
}

std::string yaml_text(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  if (!value || value.IsNull()) {
    return "";
  }
  return value.as<std::string>();
}

std::int64_t yaml_number(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  if (!value || value.IsNull()) {
    return 0;
  }
  return value.as<std::int64_t>();
}

Tags read_tags(const fs::path& directory) {
  Tags tags;
  if (!fs::is_directory(directory)) {
    return tags;
  }
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() &&
        !(name.starts_with(".") && name.find(".tmp-") != std::string::npos)) {
      tags[entry.path().lexically_relative(directory).generic_string()] =
          read_text_file(entry.path());
    }
  }
  return tags;
}

long number_of(const ModelVersion& version) {
  return version_number(version.version, "the model registry");
}

}  // namespace

FileModelRegistry::FileModelRegistry(fs::path root) : root_(std::move(root)) {
  check_store_root(root_);
}

fs::path FileModelRegistry::model_directory(const std::string& name) const {
  validate_registered_model_name(name);
  return root_ / "models" / name;
}

fs::path FileModelRegistry::existing_model_directory(const std::string& name) const {
  fs::path directory = model_directory(name);
  if (!fs::exists(directory / kMetaFile)) {
    throw MlflowError("Registered Model with name=" + name + " not found in " + root_.string(),
                      kResourceDoesNotExist);
  }
  return directory;
}

RegisteredModel FileModelRegistry::read_registered_model(const fs::path& directory) const {
  const YAML::Node meta = load_yaml(directory / kMetaFile);
  RegisteredModel model;
  model.name = yaml_text(meta, "name");
  model.creation_timestamp = yaml_number(meta, "creation_timestamp");
  model.last_updated_timestamp = yaml_number(meta, "last_updated_timestamp");
  model.description = yaml_text(meta, "description");
  model.tags = read_tags(directory / "tags");
  // The alias files are authoritative, and meta.yaml only keeps a copy.
  model.aliases = read_tags(directory / "aliases");
  return model;
}

void FileModelRegistry::write_registered_model(const fs::path& directory,
                                               const RegisteredModel& model) const {
  YamlMapping meta;
  meta.set_map("aliases", model.aliases).set_int("creation_timestamp", model.creation_timestamp);
  model.description.empty() ? meta.set_null("description")
                            : meta.set_string("description", model.description);
  meta.set_int("last_updated_timestamp", model.last_updated_timestamp)
      .set_string("name", model.name);
  write_file_atomically(directory / kMetaFile, meta.dump());
}

void FileModelRegistry::touch_registered_model(const std::string& name) const {
  const fs::path directory = existing_model_directory(name);
  RegisteredModel model = read_registered_model(directory);
  model.last_updated_timestamp = now_milliseconds();
  write_registered_model(directory, model);
}

RegisteredModel FileModelRegistry::create_registered_model(const std::string& name) {
  const fs::path directory = model_directory(name);
  // A new root gets the tracking store's layout first, with the Default experiment, because
  // MLflow creates that experiment only when the root directory does not exist yet.
  FileTrackingStore(root_).initialize();
  fs::create_directories(root_ / "models");
  RegisteredModel model;
  model.name = name;
  model.creation_timestamp = now_milliseconds();
  model.last_updated_timestamp = model.creation_timestamp;

  // Stage the directory and rename it, so a concurrent creator loses cleanly.
  const fs::path staging = temporary_sibling(directory);
  fs::create_directories(staging);
  write_registered_model(staging, model);
  std::error_code error;
  fs::rename(staging, directory, error);
  if (error) {
    fs::remove_all(staging, error);
    throw MlflowError("Registered Model (name=" + name + ") already exists.",
                      kResourceAlreadyExists);
  }
  return model;
}

std::optional<RegisteredModel> FileModelRegistry::get_registered_model(const std::string& name) {
  const fs::path directory = model_directory(name);
  if (!fs::exists(directory / kMetaFile)) {
    return std::nullopt;
  }
  return read_registered_model(directory);
}

std::optional<ModelVersion> FileModelRegistry::read_version(const fs::path& directory) const {
  if (!fs::exists(directory / kMetaFile)) {
    return std::nullopt;
  }
  const YAML::Node meta = load_yaml(directory / kMetaFile);
  ModelVersion version;
  version.name = yaml_text(meta, "name");
  version.version = yaml_text(meta, "version");
  version_number(version.version, (directory / kMetaFile).string());
  version.creation_timestamp = yaml_number(meta, "creation_timestamp");
  version.last_updated_timestamp = yaml_number(meta, "last_updated_timestamp");
  version.current_stage = yaml_text(meta, "current_stage");
  version.description = yaml_text(meta, "description");
  version.source = yaml_text(meta, "source");
  version.run_id = yaml_text(meta, "run_id");
  const std::string status = yaml_text(meta, "status");
  version.status = status.empty() ? ModelVersionStatus::kReady : parse_model_version_status(status);
  version.status_message = yaml_text(meta, "status_message");
  version.tags = read_tags(directory / "tags");
  for (const auto& [alias, target] : read_tags(directory.parent_path() / "aliases")) {
    if (target == version.version) {
      version.aliases.push_back(alias);
    }
  }
  return version;
}

void FileModelRegistry::write_version_meta(const fs::path& directory, const ModelVersion& version,
                                           const std::string& storage_location) const {
  // Fields of FileModelVersion, sorted as PyYAML writes them. Tags live in their own files.
  YamlMapping meta;
  meta.set_empty_list("aliases")
      .set_int("creation_timestamp", version.creation_timestamp)
      .set_string("current_stage", version.current_stage);
  version.description.empty() ? meta.set_null("description")
                              : meta.set_string("description", version.description);
  meta.set_int("last_updated_timestamp", version.last_updated_timestamp)
      .set_string("name", version.name);
  version.run_id.empty() ? meta.set_null("run_id") : meta.set_string("run_id", version.run_id);
  meta.set_null("run_link")
      .set_string("source", version.source)
      .set_string("status", to_string(version.status))
      .set_null("status_message")
      .set_string("storage_location", storage_location)
      .set_null("user_id")
      .set_int("version", number_of(version));
  write_file_atomically(directory / kMetaFile, meta.dump());
}

ModelVersion FileModelRegistry::create_model_version(const std::string& name,
                                                     const std::string& source,
                                                     const std::string& run_id, const Tags& tags) {
  const fs::path model = existing_model_directory(name);
  for (int attempt = 1; attempt <= kCreateVersionAttempts; ++attempt) {
    long next = 1;
    for (const auto& entry : fs::directory_iterator(model)) {
      const std::string directory = entry.path().filename().string();
      if (entry.is_directory() && directory.starts_with("version-")) {
        next = std::max(next, version_number(directory.substr(8), entry.path().string()) + 1);
      }
    }

    ModelVersion version;
    version.name = name;
    version.version = std::to_string(next);
    version.creation_timestamp = now_milliseconds();
    version.last_updated_timestamp = version.creation_timestamp;
    version.source = source;
    version.run_id = run_id;
    version.tags = tags;

    // The version directory appears complete or not at all. When a concurrent writer took the
    // same number, the rename fails and the loop tries the next number.
    const fs::path directory = model / ("version-" + version.version);
    const fs::path staging = temporary_sibling(directory);
    fs::create_directories(staging);
    write_version_meta(staging, version, source);
    for (const auto& [key, value] : tags) {
      write_file_atomically(staging / "tags" / key, value);
    }
    std::error_code error;
    fs::rename(staging, directory, error);
    if (!error) {
      touch_registered_model(name);
      return version;
    }
    fs::remove_all(staging, error);
  }
  throw MlflowError("Model Version creation error (name=" + name +
                        "): another process kept "
                        "taking the next version number; try again",
                    kInternalError);
}

ModelVersion FileModelRegistry::get_model_version(const std::string& name,
                                                  const std::string& version) {
  validate_version(version);
  const fs::path model = existing_model_directory(name);
  auto found = read_version(model / ("version-" + version));
  if (!found || found->current_stage == kDeletedStage) {
    throw MlflowError("Model Version (name=" + name + ", version=" + version + ") not found",
                      kResourceDoesNotExist);
  }
  return *found;
}

void FileModelRegistry::set_model_version_tag(const std::string& name, const std::string& version,
                                              const std::string& key, const std::string& value) {
  get_model_version(name, version);
  if (key.empty() || key.find("..") != std::string::npos || key.starts_with("/")) {
    throw MlflowError("invalid tag name '" + key + "'", kInvalidParameterValue);
  }
  write_file_atomically(model_directory(name) / ("version-" + version) / "tags" / key, value);
  touch_registered_model(name);
}

std::vector<ModelVersion> FileModelRegistry::search_model_versions(const std::string& name) {
  std::vector<fs::path> models;
  if (!name.empty()) {
    const fs::path directory = model_directory(name);
    if (fs::exists(directory / kMetaFile)) {
      models.push_back(directory);
    }
  } else if (fs::is_directory(root_ / "models")) {
    for (const auto& entry : fs::directory_iterator(root_ / "models")) {
      if (entry.is_directory() && fs::exists(entry.path() / kMetaFile)) {
        models.push_back(entry.path());
      }
    }
  }
  std::vector<ModelVersion> versions;
  for (const fs::path& model : models) {
    for (const auto& entry : fs::directory_iterator(model)) {
      if (!entry.is_directory() || !entry.path().filename().string().starts_with("version-")) {
        continue;
      }
      auto version = read_version(entry.path());
      if (version && version->current_stage != kDeletedStage) {
        versions.push_back(*version);
      }
    }
  }
  std::sort(versions.begin(), versions.end(), [](const ModelVersion& a, const ModelVersion& b) {
    return a.name != b.name ? a.name < b.name : number_of(a) > number_of(b);
  });
  return versions;
}

std::vector<ModelVersion> FileModelRegistry::search_model_versions_of_run(
    const std::string& run_id) {
  std::vector<ModelVersion> versions = search_model_versions("");
  std::erase_if(versions,
                [&run_id](const ModelVersion& version) { return version.run_id != run_id; });
  return versions;
}

void FileModelRegistry::delete_model_version(const std::string& name, const std::string& version) {
  ModelVersion found = get_model_version(name, version);
  const fs::path directory = model_directory(name) / ("version-" + version);
  found.current_stage = kDeletedStage;
  found.last_updated_timestamp = now_milliseconds();
  write_version_meta(directory, found, found.source);
  // MLflow removes the aliases of a deleted version.
  for (const std::string& alias : found.aliases) {
    std::error_code ignored;
    fs::remove(model_directory(name) / "aliases" / alias, ignored);
  }
  touch_registered_model(name);
}

void FileModelRegistry::set_registered_model_alias(const std::string& name,
                                                   const std::string& alias,
                                                   const std::string& version) {
  validate_alias(alias);
  get_model_version(name, version);
  // One rename replaces the alias, so readers see the old or the new version, never neither.
  write_file_atomically(model_directory(name) / "aliases" / alias, version);
  touch_registered_model(name);
}

void FileModelRegistry::delete_registered_model_alias(const std::string& name,
                                                      const std::string& alias) {
  validate_alias(alias);
  const fs::path file = existing_model_directory(name) / "aliases" / alias;
  std::error_code ignored;
  if (fs::remove(file, ignored)) {
    touch_registered_model(name);
  }
}

ModelVersion FileModelRegistry::get_model_version_by_alias(const std::string& name,
                                                           const std::string& alias) {
  validate_alias(alias);
  const fs::path file = existing_model_directory(name) / "aliases" / alias;
  if (!fs::exists(file)) {
    throw MlflowError("Registered model alias " + alias + " not found.", kResourceDoesNotExist);
  }
  const std::string version = read_text_file(file);
  try {
    return get_model_version(name, version);
  } catch (const MlflowError& error) {
    if (error.error_code() != kResourceDoesNotExist) {
      throw;
    }
    throw MlflowError("alias '" + alias + "' of registered model '" + name +
                          "' points at version " + version +
                          ", which does not exist or was deleted; point the alias at an "
                          "existing version",
                      kResourceDoesNotExist);
  }
}

}  // namespace recsys::tracking
