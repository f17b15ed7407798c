#pragma once

#include <string>

#include "core/error.hpp"

namespace recsys::inference {

// An error the HTTP API reports to the client as {"error": {"code": ..., "message": ...}}
// with `status`. Handlers throw it for invalid requests; the message names the parameter or
// field and the accepted values.
class ApiError : public Error {
 public:
  ApiError(int status, std::string code, const std::string& message)
      : Error(message), status_(status), code_(std::move(code)) {}

  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

// 400: the request cannot be parsed (malformed JSON, a non-numeric id, a missing field).
inline ApiError bad_request(const std::string& message) {
  return {400, "bad_request", message};
}

// 404: the user, movie or route does not exist.
inline ApiError not_found(const std::string& message) {
  return {404, "not_found", message};
}

// 422: the request parses but a value is out of range or unknown (k, genre, rating).
inline ApiError invalid_value(const std::string& message) {
  return {422, "invalid_value", message};
}

// 503: the database is unreachable or no model is published yet.
inline ApiError service_unavailable(const std::string& message) {
  return {503, "service_unavailable", message};
}

// Returns `text` cut to `max_length` bytes with "..." appended when cut, for echoing client
// input in error messages.
std::string truncate_for_message(const std::string& text, std::size_t max_length = 64);

}  // namespace recsys::inference
