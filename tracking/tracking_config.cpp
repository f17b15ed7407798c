#include "tracking/tracking_config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

#include "core/error.hpp"
#include "tracking/local_files.hpp"

namespace recsys::tracking {

namespace fs = std::filesystem;

namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : std::string();
}

std::optional<double> environment_number(const char* name) {
  const std::string text = environment(name);
  if (text.empty()) {
    return std::nullopt;
  }
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || value < 0) {
    throw Error(std::string("invalid value '") + text + "' of " + name +
                ": expected a non-negative number");
  }
  return value;
}

bool environment_flag(const char* name) {
  std::string text = environment(name);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (text.empty() || text == "false" || text == "0") {
    return false;
  }
  if (text == "true" || text == "1") {
    return true;
  }
  throw Error(std::string("invalid value '") + text + "' of " + name +
              ": expected true, false, 1 or 0");
}

std::chrono::milliseconds seconds_to_milliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
}

// Splits "scheme://user:pass@host/path" into the URL without user information and the
// credentials.
std::string strip_user_info(const std::string& url, std::string* username, std::string* password) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return url;
  }
  const std::size_t authority_start = scheme_end + 3;
  const std::size_t authority_end = url.find('/', authority_start);
  const std::string authority = url.substr(authority_start, authority_end - authority_start);
  const std::size_t at = authority.rfind('@');
  if (at == std::string::npos) {
    return url;
  }
  const std::string user_info = authority.substr(0, at);
  const std::size_t colon = user_info.find(':');
  if (username != nullptr) {
    *username = user_info.substr(0, colon);
  }
  if (password != nullptr && colon != std::string::npos) {
    *password = user_info.substr(colon + 1);
  }
  std::string stripped = url.substr(0, authority_start) + authority.substr(at + 1);
  if (authority_end != std::string::npos) {
    stripped += url.substr(authority_end);
  }
  return stripped;
}

}  // namespace

std::string redact_url(const std::string& url) {
  return strip_user_info(url, nullptr, nullptr);
}

TrackingConfig resolve_tracking_config(const std::string& uri) {
  TrackingConfig config;
  config.tracking_uri = !uri.empty() ? uri : environment("MLFLOW_TRACKING_URI");
  if (config.tracking_uri.empty()) {
    config.tracking_uri = "./mlruns";
  }
  const std::string& text = config.tracking_uri;

  if (text.starts_with("http://") || text.starts_with("https://")) {
    config.is_rest = true;
    RestClientOptions& rest = config.rest;
    std::string url_username;
    std::string url_password;
    rest.base_url = strip_user_info(text, &url_username, &url_password);
    while (rest.base_url.ends_with("/")) {
      rest.base_url.pop_back();
    }
    rest.token = environment("MLFLOW_TRACKING_TOKEN");
    rest.username = environment("MLFLOW_TRACKING_USERNAME");
    rest.password = environment("MLFLOW_TRACKING_PASSWORD");
    if (rest.username.empty() && !url_username.empty()) {
      rest.username = url_username;
      rest.password = url_password;
    }
    rest.insecure_tls = environment_flag("MLFLOW_TRACKING_INSECURE_TLS");
    rest.ca_bundle = environment("MLFLOW_TRACKING_SERVER_CERT_PATH");
    if (auto timeout = environment_number("MLFLOW_HTTP_REQUEST_TIMEOUT")) {
      rest.request_timeout = seconds_to_milliseconds(*timeout);
    }
    if (auto retries = environment_number("MLFLOW_HTTP_REQUEST_MAX_RETRIES")) {
      rest.max_retries = static_cast<int>(*retries);
    }
    if (auto factor = environment_number("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR")) {
      rest.backoff_factor = seconds_to_milliseconds(*factor);
    }
    return config;
  }

  if (text.starts_with("file:")) {
    config.file_root = fs::absolute(file_uri_to_path(text)).lexically_normal();
  } else if (text.find("://") != std::string::npos ||
             (text.find(':') != std::string::npos && text.find(':') < text.find('/'))) {
    throw Error("unsupported tracking URI '" + redact_url(text) +
                "': use http(s)://host:port for an MLflow server, or file:PATH or a plain "
                "directory path for a local file store");
  } else {
    config.file_root = fs::absolute(fs::path(text)).lexically_normal();
  }
  // lexically_normal keeps a trailing separator ("mlruns/"), dropped so that paths compare
  // equal.
  if (config.file_root.has_parent_path() && config.file_root.filename().empty()) {
    config.file_root = config.file_root.parent_path();
  }
  return config;
}

}  // namespace recsys::tracking
