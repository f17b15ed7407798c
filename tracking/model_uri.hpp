#pragma once

#include <filesystem>
#include <string>

namespace recsys::tracking {

// A model URI resolved to a local model directory.
struct ResolvedModel {
  std::filesystem::path directory;  // Local copy of the model directory (model.json, ...).
  std::string name;                 // Registered model name, empty for a plain directory.
  std::string version;              // Model version, empty for a plain directory.
  std::string alias;                // The alias the URI named, if any.
  std::string run_id;               // Run that produced the model, when known.
  std::string source;               // Artifact URI the files were copied from.
};

// The parts of "models:/<name>@<alias>" or "models:/<name>/<version>".
struct ModelUri {
  std::string name;
  std::string version;  // Set for models:/<name>/<version>.
  std::string alias;    // Set for models:/<name>@<alias>.
};

// Parses a models:/ URI. Throws recsys::Error naming the URI and the expected forms.
ModelUri parse_model_uri(const std::string& uri);

// Resolves `uri` to a local model directory:
// - models:/<name>@<alias> and models:/<name>/<version> through the model registry,
// - runs:/<run_id>/<artifact path> through the run's artifacts,
// - a plain directory path or file: URI as it is (it must contain model.json).
// Registry and run models are downloaded once into <cache_dir>/models/<name>/<version>-<run_id> or
// <cache_dir>/runs/<run_id>/<path>, through a temporary directory renamed into place, so
// the cache never contains a partial model. The backend comes from `tracking_uri`, or
// MLFLOW_TRACKING_URI, or ./mlruns. Throws recsys::Error when the model, alias or version does
// not exist (naming which), or when an alias points at a deleted version.
ResolvedModel resolve_model_uri(const std::string& uri, const std::filesystem::path& cache_dir,
                                const std::string& tracking_uri = "");

// Like resolve_model_uri, but copies the model into `out_dir`, which must not exist or be
// empty. Used by `recsys models download`.
ResolvedModel download_model(const std::string& uri, const std::filesystem::path& out_dir,
                             const std::string& tracking_uri = "");

}  // namespace recsys::tracking
