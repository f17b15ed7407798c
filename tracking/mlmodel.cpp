#include "tracking/mlmodel.hpp"

#include <yaml-cpp/yaml.h>

#include "core/error.hpp"
#include "tracking/ids.hpp"
#include "tracking/local_files.hpp"
#include "tracking/yaml_text.hpp"

namespace recsys::tracking {

namespace fs = std::filesystem;

namespace {

// Emits a JSON value as YAML, quoting strings as PyYAML would.
void emit_json(YAML::Emitter& emitter, const nlohmann::json& value) {
  if (value.is_object()) {
    emitter << YAML::BeginMap;
    for (const auto& [key, nested] : value.items()) {
      emitter << YAML::Key << key << YAML::Value;
      emit_json(emitter, nested);
    }
    emitter << YAML::EndMap;
  } else if (value.is_string()) {
    const std::string text = value.get<std::string>();
    if (yaml_string_needs_quotes(text)) {
      emitter << YAML::SingleQuoted;
    }
    emitter << text;
  } else if (value.is_number_integer()) {
    emitter << value.get<std::int64_t>();
  } else if (value.is_boolean()) {
    emitter << (value.get<bool>() ? "true" : "false");
  } else if (value.is_null()) {
    emitter << YAML::Null;
  } else {
    emitter << value.dump();
  }
}

}  // namespace

nlohmann::json write_mlmodel(const fs::path& model_directory, const std::string& run_id,
                             const std::string& artifact_path) {
  const fs::path metadata_file = model_directory / "model.json";
  nlohmann::json metadata;
  try {
    metadata = nlohmann::json::parse(read_text_file(metadata_file));
  } catch (const nlohmann::json::exception& error) {
    throw Error(metadata_file.string() + ": invalid JSON: " + error.what());
  }
  if (!metadata.is_object() || !metadata.contains("model_type")) {
    throw Error(metadata_file.string() +
                ": missing field 'model_type'; the directory is not a recsys model");
  }

  // The flavor copies the fields a loader checks before reading the embeddings.
  nlohmann::json flavor = nlohmann::json::object();
  for (const char* key : {"format_version", "model_type", "factors", "dimension", "dataset_name",
                          "dataset_fingerprint", "split", "software_version", "git_commit"}) {
    if (metadata.contains(key) && !metadata.at(key).is_null()) {
      flavor[key] = metadata.at(key);
    }
  }
  flavor["data"] = ".";

  nlohmann::json model = nlohmann::json::object();
  model["artifact_path"] = artifact_path;
  model["flavors"] = {{kRecsysFlavor, flavor}};
  model["model_uuid"] = random_uuid_hex();
  model["run_id"] = run_id;
  model["utc_time_created"] = utc_time_python_string();

  YAML::Emitter emitter;
  emitter.SetNullFormat(YAML::LowerNull);
  emit_json(emitter, model);
  write_file_atomically(model_directory / "MLmodel", std::string(emitter.c_str()) + "\n");
  return model;
}

}  // namespace recsys::tracking
