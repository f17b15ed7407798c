#include "tracking/entities.hpp"

#include <array>
#include <utility>

#include "core/error.hpp"

namespace recsys::tracking {

namespace {

constexpr std::array<std::pair<RunStatus, const char*>, 5> kRunStatusNames{{
    {RunStatus::kRunning, "RUNNING"},
    {RunStatus::kScheduled, "SCHEDULED"},
    {RunStatus::kFinished, "FINISHED"},
    {RunStatus::kFailed, "FAILED"},
    {RunStatus::kKilled, "KILLED"},
}};

constexpr std::array<std::pair<ModelVersionStatus, const char*>, 3> kVersionStatusNames{{
    {ModelVersionStatus::kPendingRegistration, "PENDING_REGISTRATION"},
    {ModelVersionStatus::kFailedRegistration, "FAILED_REGISTRATION"},
    {ModelVersionStatus::kReady, "READY"},
}};

}  // namespace

std::string to_string(RunStatus status) {
  for (const auto& [value, name] : kRunStatusNames) {
    if (value == status) {
      return name;
    }
  }
  return "RUNNING";
}

RunStatus parse_run_status(const std::string& text) {
  for (const auto& [value, name] : kRunStatusNames) {
    if (text == name) {
      return value;
    }
  }
  throw Error("invalid MLflow run status '" + text +
              "': expected RUNNING, SCHEDULED, FINISHED, FAILED or KILLED");
}

bool is_terminated(RunStatus status) {
  return status == RunStatus::kFinished || status == RunStatus::kFailed ||
         status == RunStatus::kKilled;
}

std::string to_string(ModelVersionStatus status) {
  for (const auto& [value, name] : kVersionStatusNames) {
    if (value == status) {
      return name;
    }
  }
  return "READY";
}

ModelVersionStatus parse_model_version_status(const std::string& text) {
  for (const auto& [value, name] : kVersionStatusNames) {
    if (text == name) {
      return value;
    }
  }
  throw Error("invalid MLflow model version status '" + text +
              "': expected PENDING_REGISTRATION, FAILED_REGISTRATION or READY");
}

}  // namespace recsys::tracking
