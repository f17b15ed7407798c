#include "tracking/file_tracking_store.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <tuple>

#include "core/error.hpp"
#include "tracking/ids.hpp"
#include "tracking/local_files.hpp"
#include "tracking/mlflow_error.hpp"
#include "tracking/python_float.hpp"
#include "tracking/tag_names.hpp"
#include "tracking/yaml_text.hpp"

namespace recsys::tracking {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTrashFolder = ".trash";
constexpr const char* kModelsFolder = "models";
constexpr const char* kDefaultExperimentId = "0";
constexpr std::int64_t kSourceTypeLocal = 4;  // service.proto SourceType LOCAL.
constexpr std::size_t kMaxExperimentNameLength = 500;

std::string yaml_string(const YAML::Node& node, const char* key, const fs::path& file) {
  const YAML::Node value = node[key];
  if (!value || value.IsNull()) {
    return "";
  }
  if (!value.IsScalar()) {
    throw Error(file.string() + ": field '" + key + "' is not a scalar");
  }
  return value.as<std::string>();
}

std::int64_t yaml_int(const YAML::Node& node, const char* key, const fs::path& file,
                      std::int64_t fallback) {
  const YAML::Node value = node[key];
  if (!value || value.IsNull()) {
    return fallback;
  }
  try {
    return value.as<std::int64_t>();
  } catch (const YAML::Exception&) {
    throw Error(file.string() + ": field '" + key + "' is not an integer");
  }
}

std::string current_user() {
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') {
    return user;
  }
  if (const char* login = getlogin(); login != nullptr) {
    return login;
  }
  return "unknown";
}

// Every file below `directory` with its path relative to it, since metric, param and tag
// names may contain '/'.
std::vector<std::string> relative_files(const fs::path& directory) {
  std::vector<std::string> names;
  if (!fs::is_directory(directory)) {
    return names;
  }
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() &&
        !(name.starts_with(".") && name.find(".tmp-") != std::string::npos)) {
      names.push_back(entry.path().lexically_relative(directory).generic_string());
    }
  }
  return names;
}

// Parses a whole field as a 64-bit integer; empty when it is not one or does not fit.
std::optional<std::int64_t> parse_metric_integer(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// Parses a whole field as a double, accepting "nan", "inf" and "-inf" as Python writes them.
std::optional<double> parse_metric_value(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// The value MLflow reports for a metric: the last line by (step, timestamp, value).
double latest_metric_value(const fs::path& file) {
  std::istringstream in(read_text_file(file));
  std::string line;
  long line_number = 0;
  bool found = false;
  std::tuple<std::int64_t, std::int64_t, double> best{};
  while (std::getline(in, line)) {
    ++line_number;
    std::istringstream fields(line);
    std::string timestamp_text;
    std::string value_text;
    std::string step_text;
    fields >> timestamp_text >> value_text >> step_text;
    if (timestamp_text.empty() || value_text.empty()) {
      continue;
    }
    const auto bad_field = [&](const char* field, const std::string& text, const char* expected) {
      return InputError(file.string(), line_number,
                        std::string(field) + " '" + text + "' is not " + expected +
                            ": expected lines 'TIMESTAMP VALUE STEP' as MLflow writes them; fix "
                            "or delete the line");
    };
    const std::int64_t timestamp = parse_metric_integer(timestamp_text).value_or(-1);
    if (timestamp < 0) {
      throw bad_field("timestamp", timestamp_text, "a non-negative integer of milliseconds");
    }
    const std::optional<double> value = parse_metric_value(value_text);
    if (!value) {
      throw bad_field("value", value_text, "a number");
    }
    const std::optional<std::int64_t> step =
        step_text.empty() ? std::optional<std::int64_t>(0) : parse_metric_integer(step_text);
    if (!step) {
      throw bad_field("step", step_text, "an integer");
    }
    const auto candidate = std::make_tuple(*step, timestamp, *value);
    if (!found || candidate > best) {
      best = candidate;
      found = true;
    }
  }
  if (!found) {
    throw Error("metric file " + file.string() + " has no values");
  }
  return std::get<2>(best);
}

}  // namespace

void check_store_root(const fs::path& root) {
  std::error_code error;
  if (fs::exists(root, error) && !fs::is_directory(root, error)) {
    throw Error("tracking store root " + root.string() +
                " is not a directory: set --tracking-uri or MLFLOW_TRACKING_URI to the "
                "directory of an MLflow file store or to an http(s):// tracking server");
  }
}

FileTrackingStore::FileTrackingStore(fs::path root) : root_(std::move(root)) {
  check_store_root(root_);
}

void FileTrackingStore::initialize() {
  if (!fs::exists(root_)) {
    fs::create_directories(root_);
    write_experiment(kDefaultExperimentId, "Default", root_ / kDefaultExperimentId);
  }
  check_store_root(root_);
  fs::create_directories(root_ / kTrashFolder);
}

void FileTrackingStore::write_experiment(const std::string& experiment_id, const std::string& name,
                                         const fs::path& directory) const {
  const std::int64_t now = now_milliseconds();
  YamlMapping meta;
  meta.set_string("artifact_location", path_to_file_uri(root_) + "/" + experiment_id)
      .set_int("creation_time", now)
      .set_string("experiment_id", experiment_id)
      .set_int("last_update_time", now)
      .set_string("lifecycle_stage", "active")
      .set_string("name", name);

  // Build the experiment in a hidden directory and rename it into place, so a reader never
  // sees an experiment without its meta.yaml.
  const fs::path staging = temporary_sibling(directory);
  fs::create_directories(staging);
  write_file_atomically(staging / kMetaFile, meta.dump());
  std::error_code error;
  fs::rename(staging, directory, error);
  if (error) {
    fs::remove_all(staging, error);
    throw MlflowError("cannot create experiment directory " + directory.string(),
                      kResourceAlreadyExists);
  }
}

std::vector<fs::path> FileTrackingStore::experiment_directories() const {
  std::vector<fs::path> directories;
  if (!fs::is_directory(root_)) {
    return directories;
  }
  for (const auto& entry : fs::directory_iterator(root_)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && !name.starts_with(".") && name != kModelsFolder) {
      directories.push_back(entry.path());
    }
  }
  return directories;
}

std::optional<Experiment> FileTrackingStore::read_experiment(const fs::path& directory) const {
  const fs::path file = directory / kMetaFile;
  if (!fs::exists(file)) {
    return std::nullopt;
  }
  const YAML::Node meta = load_yaml(file);
  Experiment experiment;
  experiment.experiment_id = yaml_string(meta, "experiment_id", file);
  experiment.name = yaml_string(meta, "name", file);
  experiment.artifact_location = yaml_string(meta, "artifact_location", file);
  experiment.lifecycle_stage = yaml_string(meta, "lifecycle_stage", file);
  return experiment;
}

std::optional<Experiment> FileTrackingStore::get_experiment_by_name(const std::string& name) {
  for (const fs::path& directory : experiment_directories()) {
    auto experiment = read_experiment(directory);
    if (experiment && experiment->name == name && experiment->lifecycle_stage == "active") {
      return experiment;
    }
  }
  return std::nullopt;
}

std::string FileTrackingStore::create_experiment(const std::string& name) {
  if (name.empty() || name.size() > kMaxExperimentNameLength) {
    throw MlflowError("invalid experiment name '" + name + "': use 1 to " +
                          std::to_string(kMaxExperimentNameLength) + " characters",
                      kInvalidParameterValue);
  }
  initialize();
  if (get_experiment_by_name(name)) {
    throw MlflowError("Experiment '" + name + "' already exists.", kResourceAlreadyExists);
  }
  for (const auto& entry : fs::directory_iterator(root_ / kTrashFolder)) {
    auto deleted = read_experiment(entry.path());
    if (deleted && deleted->name == name) {
      throw MlflowError("Experiment '" + name +
                            "' already exists in deleted state; restore it or remove it from " +
                            (root_ / kTrashFolder).string(),
                        kResourceAlreadyExists);
    }
  }
  const std::string experiment_id = random_experiment_id();
  write_experiment(experiment_id, name, root_ / experiment_id);
  return experiment_id;
}

fs::path FileTrackingStore::find_run_directory(const std::string& run_id) const {
  static const std::string kValid =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
  if (run_id.empty() || run_id.size() > 256 ||
      run_id.find_first_not_of(kValid) != std::string::npos) {
    throw MlflowError("invalid run id '" + run_id + "'", kInvalidParameterValue);
  }
  for (const fs::path& experiment : experiment_directories()) {
    const fs::path candidate = experiment / run_id;
    if (fs::exists(candidate / kMetaFile)) {
      return candidate;
    }
  }
  throw MlflowError("Run '" + run_id + "' not found in " + root_.string(), kResourceDoesNotExist);
}

RunInfo FileTrackingStore::read_run_info(const fs::path& run_directory) const {
  const fs::path file = run_directory / kMetaFile;
  const YAML::Node meta = load_yaml(file);
  RunInfo info;
  info.run_id = yaml_string(meta, "run_id", file);
  if (info.run_id.empty()) {
    info.run_id = yaml_string(meta, "run_uuid", file);
  }
  info.experiment_id = yaml_string(meta, "experiment_id", file);
  info.run_name = yaml_string(meta, "run_name", file);
  info.user_id = yaml_string(meta, "user_id", file);
  const std::int64_t status = yaml_int(meta, "status", file, 1);
  if (status < 1 || status > 5) {
    throw Error(file.string() + ": invalid run status " + std::to_string(status));
  }
  info.status = static_cast<RunStatus>(status);
  info.start_time_ms = yaml_int(meta, "start_time", file, 0);
  const std::int64_t end_time = yaml_int(meta, "end_time", file, 0);
  if (end_time != 0) {
    info.end_time_ms = end_time;
  }
  info.artifact_uri = yaml_string(meta, "artifact_uri", file);
  info.lifecycle_stage = yaml_string(meta, "lifecycle_stage", file);
  return info;
}

void FileTrackingStore::write_run_info(const fs::path& run_directory, const RunInfo& info,
                                       bool with_deleted_time) const {
  // Field set of file_store._make_persisted_run_info_dict. The "tags" field stays an empty
  // list for readers older than MLflow 1.0.
  YamlMapping meta;
  meta.set_string("artifact_uri", info.artifact_uri);
  if (info.end_time_ms) {
    meta.set_int("end_time", *info.end_time_ms);
  } else {
    meta.set_null("end_time");
  }
  meta.set_string("entry_point_name", "")
      .set_string("experiment_id", info.experiment_id)
      .set_string("lifecycle_stage", info.lifecycle_stage)
      .set_string("run_id", info.run_id)
      .set_string("run_name", info.run_name)
      .set_string("run_uuid", info.run_id)
      .set_string("source_name", "")
      .set_int("source_type", kSourceTypeLocal)
      .set_string("source_version", "")
      .set_int("start_time", info.start_time_ms)
      .set_int("status", static_cast<std::int64_t>(info.status))
      .set_empty_list("tags")
      .set_string("user_id", info.user_id);
  if (with_deleted_time) {
    meta.set_null("deleted_time");
  }
  write_file_atomically(run_directory / kMetaFile, meta.dump());
}

RunInfo FileTrackingStore::create_run(const std::string& experiment_id, const std::string& run_name,
                                      std::int64_t start_time_ms, const Tags& tags) {
  initialize();
  const fs::path experiment_directory = root_ / experiment_id;
  auto experiment = read_experiment(experiment_directory);
  if (!experiment) {
    throw MlflowError("Could not find experiment with ID " + experiment_id, kResourceDoesNotExist);
  }
  if (experiment->lifecycle_stage != "active") {
    throw MlflowError("cannot create a run in deleted experiment " + experiment_id,
                      kInvalidParameterValue);
  }
  Tags all_tags = tags;
  const auto name_tag = all_tags.find(kRunNameTag);
  if (name_tag != all_tags.end() && !run_name.empty() && name_tag->second != run_name) {
    throw MlflowError("run name '" + run_name + "' differs from the mlflow.runName tag '" +
                          name_tag->second + "'",
                      kInvalidParameterValue);
  }
  RunInfo info;
  info.run_id = random_uuid_hex();
  info.experiment_id = experiment_id;
  info.run_name = !run_name.empty()            ? run_name
                  : name_tag != all_tags.end() ? name_tag->second
                                               : "run-" + info.run_id.substr(0, 8);
  all_tags[kRunNameTag] = info.run_name;
  validate_log_batch({}, {}, all_tags);
  const auto user_tag = all_tags.find(kUserTag);
  info.user_id = user_tag != all_tags.end() ? user_tag->second : current_user();
  info.status = RunStatus::kRunning;
  info.start_time_ms = start_time_ms;
  info.artifact_uri = experiment->artifact_location + "/" + info.run_id + "/artifacts";

  // Build the run in a hidden directory so that readers never see half a run.
  const fs::path run_directory = experiment_directory / info.run_id;
  const fs::path staging = temporary_sibling(run_directory);
  fs::create_directories(staging / "metrics");
  fs::create_directories(staging / "params");
  fs::create_directories(staging / "artifacts");
  write_run_info(staging, info, true);
  for (const auto& [key, value] : all_tags) {
    write_file_atomically(staging / "tags" / key, value);
  }
  fs::rename(staging, run_directory);
  return info;
}

void FileTrackingStore::log_batch(const std::string& run_id, const std::vector<Metric>& metrics,
                                  const Params& params, const Tags& tags) {
  validate_log_batch(metrics, params, tags);
  const fs::path run_directory = find_run_directory(run_id);
  const RunInfo info = read_run_info(run_directory);
  if (info.lifecycle_stage != "active") {
    throw MlflowError("The run " + run_id + " must be in 'active' lifecycle_stage.",
                      kInvalidParameterValue);
  }

  // Params are immutable: logging the same value again is allowed, a different one is not.
  for (const auto& [key, value] : params) {
    const fs::path file = run_directory / "params" / key;
    if (fs::exists(file)) {
      const std::string existing = read_text_file(file);
      if (existing != value) {
        throw MlflowError("Changing param values is not allowed. Param with key='" + key +
                              "' was already logged with value='" + existing + "' for run ID='" +
                              run_id + "'. Attempted logging new value '" + value + "'.",
                          kInvalidParameterValue);
      }
      continue;
    }
    write_file_atomically(file, value);
  }
  for (const Metric& metric : metrics) {
    append_line(run_directory / "metrics" / metric.key, std::to_string(metric.timestamp_ms) + " " +
                                                            format_python_float(metric.value) +
                                                            " " + std::to_string(metric.step));
  }
  for (const auto& [key, value] : tags) {
    write_file_atomically(run_directory / "tags" / key, value);
    if (key == kRunNameTag && value != info.run_name) {
      RunInfo renamed = info;
      renamed.run_name = value;
      write_run_info(run_directory, renamed, false);
    }
  }
}

void FileTrackingStore::log_inputs(const std::string& run_id,
                                   const std::vector<DatasetInput>& datasets) {
  const fs::path run_directory = find_run_directory(run_id);
  const fs::path experiment_directory = run_directory.parent_path();
  for (const DatasetInput& input : datasets) {
    const Dataset& dataset = input.dataset;
    if (dataset.name.empty() || dataset.digest.empty() || dataset.source_type.empty() ||
        dataset.source.empty()) {
      throw MlflowError("a data set input needs a name, digest, source_type and source",
                        kInvalidParameterValue);
    }
    if (dataset.digest.size() > 36) {
      throw MlflowError(
          "data set digest '" + dataset.digest + "' is longer than MLflow's limit of 36 characters",
          kInvalidParameterValue);
    }

    // Directory names and fields as in file_store.log_inputs and _FileStoreInput.write_yaml.
    const std::string dataset_id = md5_hex(dataset.name, dataset.digest);
    const fs::path dataset_directory = experiment_directory / "datasets" / dataset_id;
    if (!fs::exists(dataset_directory / kMetaFile)) {
      YamlMapping meta;
      meta.set_string("digest", dataset.digest).set_string("name", dataset.name);
      dataset.profile ? meta.set_string("profile", *dataset.profile) : meta.set_null("profile");
      dataset.schema ? meta.set_string("schema", *dataset.schema) : meta.set_null("schema");
      meta.set_string("source", dataset.source).set_string("source_type", dataset.source_type);
      write_file_atomically(dataset_directory / kMetaFile, meta.dump());
    }
    const std::string input_id = md5_hex(dataset_id, run_id);
    const fs::path input_directory = run_directory / "inputs" / input_id;
    if (!fs::exists(input_directory / kMetaFile)) {
      YamlMapping meta;
      // MLflow 2.x writes the data set id as destination_id as well, and readers ignore it.
      meta.set_string("destination_id", dataset_id)
          .set_string("destination_type", "RUN")
          .set_string("source_id", dataset_id)
          .set_string("source_type", "DATASET")
          .set_map("tags", input.tags);
      write_file_atomically(input_directory / kMetaFile, meta.dump());
    }
  }
}

void FileTrackingStore::update_run(const std::string& run_id, RunStatus status,
                                   std::int64_t end_time_ms) {
  const fs::path run_directory = find_run_directory(run_id);
  RunInfo info = read_run_info(run_directory);
  info.status = status;
  info.end_time_ms = end_time_ms;
  write_run_info(run_directory, info, false);
}

Run FileTrackingStore::get_run(const std::string& run_id) {
  const fs::path run_directory = find_run_directory(run_id);
  Run run;
  run.info = read_run_info(run_directory);
  for (const std::string& key : relative_files(run_directory / "metrics")) {
    run.metrics[key] = latest_metric_value(run_directory / "metrics" / key);
  }
  for (const std::string& key : relative_files(run_directory / "params")) {
    run.params[key] = read_text_file(run_directory / "params" / key);
  }
  for (const std::string& key : relative_files(run_directory / "tags")) {
    run.tags[key] = read_text_file(run_directory / "tags" / key);
  }
  return run;
}

}  // namespace recsys::tracking
