#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace recsys::tracking {

// Name of the MLflow flavor that describes a recsys model directory.
inline constexpr const char* kRecsysFlavor = "recsys_embeddings";

// Writes `<model_directory>/MLmodel`, which makes the directory an MLflow Model: the standard
// fields artifact_path, run_id, utc_time_created and model_uuid, and one flavor,
// recsys_embeddings, with format_version, model_type, factors, dimension and the data set read
// from model.json. No python_function flavor is written, so MLflow can list and download the
// model but not load it in Python. Returns the same content as JSON, the form MLflow keeps in
// a run's mlflow.log-model.history tag. Throws recsys::Error when model.json is missing or
// invalid.
nlohmann::json write_mlmodel(const std::filesystem::path& model_directory,
                             const std::string& run_id, const std::string& artifact_path);

}  // namespace recsys::tracking
