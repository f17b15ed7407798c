#include "tracking/model_registration.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <thread>

#include "core/error.hpp"
#include "tracking/artifact_repository.hpp"
#include "tracking/mlflow_error.hpp"
#include "tracking/model_registry.hpp"
#include "tracking/promotion.hpp"
#include "tracking/python_float.hpp"
#include "tracking/tag_names.hpp"
#include "tracking/tracking_store.hpp"
#include "train/interrupt.hpp"

namespace recsys::tracking {

namespace {

// Files a model directory must contain. MLmodel is uploaded last, so its presence also means
// that the upload finished.
constexpr const char* kRequiredModelFiles[] = {"MLmodel", "model.json", "user_embeddings.npy",
                                               "movie_embeddings.npy", "id_maps.json"};

// Quotes `text` for a POSIX shell when it contains anything beyond a safe set of characters.
std::string shell_quote(const std::string& text) {
  static const std::string kSafe =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@%+=,";
  if (!text.empty() && text.find_first_not_of(kSafe) == std::string::npos) {
    return text;
  }
  std::string quoted = "'";
  for (char c : text) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

std::string tag_or(const Tags& tags, const std::string& key, const std::string& fallback) {
  const auto found = tags.find(key);
  return found != tags.end() ? found->second : fallback;
}

void check_run(const Run& run, const RegisterOptions& options) {
  if (run.info.status != RunStatus::kFinished) {
    throw Error("run " + run.info.run_id + " has status " + to_string(run.info.status) +
                "; only a FINISHED run can be registered: train again, then register the new "
                "run");
  }
  if (run.metrics.find(options.metric) == run.metrics.end()) {
    std::string logged;
    for (const auto& [key, value] : run.metrics) {
      logged += (logged.empty() ? "" : ", ") + key;
    }
    throw Error("run " + run.info.run_id + " has no metric '" + options.metric +
                "'; choose one it logged with --promotion-metric (" + logged + ")");
  }
  if (tag_or(run.tags, kDatasetFingerprintTag, "").empty()) {
    throw Error("run " + run.info.run_id + " has no " + kDatasetFingerprintTag +
                " tag; register only runs logged by recsys train");
  }
}

void check_model_artifacts(ArtifactRepository& artifacts, const std::string& run_id,
                           const std::string& artifact_path) {
  std::set<std::string> present;
  for (const FileInfo& file : artifacts.list_artifacts(artifact_path)) {
    present.insert(file.path.substr(file.path.rfind('/') + 1));
  }
  std::string missing;
  for (const char* name : kRequiredModelFiles) {
    if (present.count(name) == 0) {
      missing += (missing.empty() ? "" : ", ") + std::string(name);
    }
  }
  if (!missing.empty()) {
    throw Error("run " + run_id + " has an incomplete model artifact '" + artifact_path +
                "' (missing " + missing +
                "); the upload did not finish, so no model version was created: train again");
  }
}

ModelVersion wait_until_ready(ModelRegistry& registry, ModelVersion version,
                              const RegisterOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() + options.ready_timeout;
  while (version.status == ModelVersionStatus::kPendingRegistration) {
    InterruptGuard::throw_if_interrupted();
    if (std::chrono::steady_clock::now() >= deadline) {
      throw Error("model version " + version.version + " of '" + version.name +
                  "' is still PENDING_REGISTRATION after " +
                  std::to_string(options.ready_timeout.count()) +
                  " ms; check the tracking server, then register the run again");
    }
    std::this_thread::sleep_for(options.poll_interval);
    version = registry.get_model_version(version.name, version.version);
  }
  if (version.status == ModelVersionStatus::kFailedRegistration) {
    throw Error("model version " + version.version + " of '" + version.name +
                "' failed registration: " + version.status_message);
  }
  return version;
}

PromotionCandidate describe_version(const ModelVersion& version, const std::string& metric,
                                    TrackingStore& store) {
  PromotionCandidate candidate;
  candidate.version = version.version;
  candidate.dataset_fingerprint = tag_or(version.tags, kDatasetFingerprintTag, "");
  candidate.split = tag_or(version.tags, kSplitTag, "");
  const auto metric_tag = version.tags.find(kMetricTagPrefix + metric);
  if (metric_tag != version.tags.end()) {
    candidate.metric_value = std::strtod(metric_tag->second.c_str(), nullptr);
  }

  // A version registered by another tool may lack our tags, but its run may have them.
  const bool incomplete = !candidate.metric_value || candidate.dataset_fingerprint.empty();
  if (incomplete && !version.run_id.empty()) {
    try {
      const Run run = store.get_run(version.run_id);
      if (!candidate.metric_value && run.metrics.count(metric) != 0) {
        candidate.metric_value = run.metrics.at(metric);
      }
      if (candidate.dataset_fingerprint.empty()) {
        candidate.dataset_fingerprint = tag_or(run.tags, kDatasetFingerprintTag, "");
        candidate.split = tag_or(run.tags, kSplitTag, "");
      }
    } catch (const Error& error) {
      spdlog::warn("cannot read run {} of model version {}: {}", version.run_id, version.version,
                   error.what());
    }
  }
  return candidate;
}

// The version that has `alias`, or nullopt. An alias whose version was deleted counts as no
// champion, with a warning, so that registration repairs it.
std::optional<ModelVersion> find_champion(ModelRegistry& registry, const RegisterOptions& options) {
  try {
    return registry.get_model_version_by_alias(options.model_name, options.alias);
  } catch (const MlflowError& error) {
    if (error.error_code() != kResourceDoesNotExist) {
      throw;
    }
    const auto model = registry.get_registered_model(options.model_name);
    if (model && model->aliases.count(options.alias) != 0) {
      spdlog::warn(
          "alias '{}' of registered model '{}' points at version {}, which no longer "
          "exists; treating the model as having no champion",
          options.alias, options.model_name, model->aliases.at(options.alias));
    }
    return std::nullopt;
  }
}

}  // namespace

RegistrationResult register_model(const RegisterOptions& options) {
  if (options.run_id.empty()) {
    throw Error("missing run id: pass --run-id of a run logged by recsys train");
  }
  const TrackingConfig config = resolve_tracking_config(options.tracking_uri);
  auto store = open_tracking_store(config);
  auto registry = open_model_registry(config);

  const Run run = store->get_run(options.run_id);
  check_run(run, options);
  auto artifacts = open_artifact_repository(run.info.artifact_uri, config);
  check_model_artifacts(*artifacts, options.run_id, options.artifact_path);
  InterruptGuard::throw_if_interrupted();

  if (!registry->get_registered_model(options.model_name)) {
    try {
      registry->create_registered_model(options.model_name);
      spdlog::info("created registered model '{}'", options.model_name);
    } catch (const MlflowError& error) {
      if (error.error_code() != kResourceAlreadyExists) {
        throw;
      }
    }
  }

  Tags tags;
  tags[kDatasetFingerprintTag] = tag_or(run.tags, kDatasetFingerprintTag, "");
  tags[kDatasetNameTag] = tag_or(run.tags, kDatasetNameTag, "");
  tags[kSplitTag] = tag_or(run.tags, kSplitTag, "");
  for (const auto& [key, value] : run.metrics) {
    tags[kMetricTagPrefix + key] = format_python_float(value);
  }

  RegistrationResult result;
  result.model_name = options.model_name;
  result.run_id = options.run_id;
  result.source = run.info.artifact_uri + "/" + options.artifact_path;
  ModelVersion version;
  if (auto existing =
          find_version_of_run(*registry, options.model_name, options.run_id, result.source)) {
    version = *existing;
    result.reused = true;
    spdlog::info("run {} is already version {} of registered model '{}'; reusing that version",
                 options.run_id, version.version, options.model_name);
  } else {
    version =
        registry->create_model_version(options.model_name, result.source, options.run_id, tags);
    spdlog::info("created version {} of registered model '{}' from run {}", version.version,
                 options.model_name, options.run_id);
  }
  result.version = version.version;
  version = wait_until_ready(*registry, version, options);

  const std::optional<ModelVersion> champion = find_champion(*registry, options);
  std::optional<PromotionCandidate> champion_candidate;
  if (champion) {
    result.previous_champion = champion->version;
    champion_candidate = describe_version(*champion, options.metric, *store);
  }
  PromotionCandidate candidate;
  candidate.version = version.version;
  candidate.metric_value = run.metrics.at(options.metric);
  candidate.dataset_fingerprint = tags.at(kDatasetFingerprintTag);
  candidate.split = tags.at(kSplitTag);
  const PromotionDecision decision =
      decide_promotion(candidate, champion_candidate, options.metric, options.force);
  result.reason = decision.reason;

  if (decision.promote) {
    InterruptGuard::throw_if_interrupted();
    registry->set_registered_model_alias(options.model_name, options.alias, version.version);
    result.promoted = true;
    spdlog::info("alias '{}' of '{}' now points at version {}: {}", options.alias,
                 options.model_name, version.version, decision.reason);
  } else {
    spdlog::info("alias '{}' of '{}' stays on version {}: {}", options.alias, options.model_name,
                 result.previous_champion, decision.reason);
  }

  // The decision is recorded on the version, and losing this tag must not undo the promotion.
  try {
    registry->set_model_version_tag(
        options.model_name, version.version, kPromotionTag,
        (decision.promote ? "promoted: " : "not promoted: ") + decision.reason.substr(0, 4000));
  } catch (const Error& error) {
    spdlog::warn("cannot tag version {} of '{}' with the promotion decision: {}", version.version,
                 options.model_name, error.what());
  }
  return result;
}

std::string format_register_command(const RegisterOptions& options) {
  const RegisterOptions defaults;
  const TrackingConfig config = resolve_tracking_config(options.tracking_uri);
  const std::string tracking_uri =
      config.is_rest ? redact_url(config.tracking_uri) : config.file_root.string();

  std::string command = "recsys register --run-id " + shell_quote(options.run_id) +
                        " --tracking-uri " + shell_quote(tracking_uri) + " --registered-model " +
                        shell_quote(options.model_name) + " --promotion-metric " +
                        shell_quote(options.metric);
  if (options.alias != defaults.alias) {
    command += " --alias " + shell_quote(options.alias);
  }
  if (options.force) {
    command += " --force-promotion";
  }
  return command;
}

}  // namespace recsys::tracking
