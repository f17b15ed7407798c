#pragma once

#include <string>
#include <utility>

#include "core/error.hpp"

namespace recsys::tracking {

// Error codes of MLflow's REST API (databricks.proto ErrorCode) that this client acts on.
inline constexpr const char* kResourceAlreadyExists = "RESOURCE_ALREADY_EXISTS";
inline constexpr const char* kResourceDoesNotExist = "RESOURCE_DOES_NOT_EXIST";
inline constexpr const char* kInvalidParameterValue = "INVALID_PARAMETER_VALUE";
inline constexpr const char* kInternalError = "INTERNAL_ERROR";

// An error reported by an MLflow backend, REST or file store, with MLflow's error code so that
// callers can react to RESOURCE_ALREADY_EXISTS and RESOURCE_DOES_NOT_EXIST the same way for both.
class MlflowError : public Error {
 public:
  MlflowError(const std::string& message, std::string error_code, long http_status = 0)
      : Error(message), error_code_(std::move(error_code)), http_status_(http_status) {}

  const std::string& error_code() const { return error_code_; }
  // HTTP status of the response, 0 for the file store.
  long http_status() const { return http_status_; }

 private:
  std::string error_code_;
  long http_status_;
};

}  // namespace recsys::tracking
