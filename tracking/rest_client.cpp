#include "tracking/rest_client.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <thread>

#include "core/error.hpp"
#include "recsys/version.hpp"
#include "tracking/local_files.hpp"
#include "tracking/mlflow_error.hpp"

namespace recsys::tracking {

namespace fs = std::filesystem;

struct RestClient::Request {
  std::string method;
  std::string endpoint;                // Path and query, appended to the base URL.
  std::string body;                    // JSON body, empty for none.
  const fs::path* upload = nullptr;    // File sent as the PUT body.
  const fs::path* download = nullptr;  // File that receives the response body.
};

struct RestClient::Response {
  long status = 0;
  std::string body;
  long retry_after_seconds = -1;  // Retry-After header of a 429 or 503, -1 when absent.
};

namespace {

void initialize_curl_once() {
  static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (result != CURLE_OK) {
    throw Error(std::string("libcurl initialization failed: ") + curl_easy_strerror(result));
  }
}

std::size_t append_to_string(char* data, std::size_t size, std::size_t count, void* target) {
  static_cast<std::string*>(target)->append(data, size * count);
  return size * count;
}

// Receives a download: a 2xx body streams to the file, an error body to the string.
struct DownloadSink {
  CURL* curl = nullptr;
  std::ofstream* file = nullptr;
  std::string* error_body = nullptr;
};

std::size_t write_download(char* data, std::size_t size, std::size_t count, void* target) {
  auto* sink = static_cast<DownloadSink*>(target);
  long status = 0;
  curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 300) {
    sink->error_body->append(data, size * count);
    return size * count;
  }
  sink->file->write(data, static_cast<std::streamsize>(size * count));
  return *sink->file ? size * count : 0;
}

std::size_t read_from_stream(char* buffer, std::size_t size, std::size_t count, void* source) {
  auto* stream = static_cast<std::ifstream*>(source);
  stream->read(buffer, static_cast<std::streamsize>(size * count));
  return static_cast<std::size_t>(stream->gcount());
}

std::size_t read_header(char* data, std::size_t size, std::size_t count, void* target) {
  const std::string line(data, size * count);
  constexpr std::string_view kRetryAfter = "retry-after:";
  std::string lower = line;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.starts_with(kRetryAfter)) {
    char* end = nullptr;
    const long seconds = std::strtol(line.c_str() + kRetryAfter.size(), &end, 10);
    if (end != line.c_str() + kRetryAfter.size() && seconds >= 0) {
      *static_cast<long*>(target) = seconds;
    }
  }
  return size * count;
}

// Connection-level failures worth another attempt. The others (bad URL, TLS verification,
// unsupported protocol) fail the same way every time.
bool is_retryable_transport_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

bool is_retryable_status(long status) {
  return status == 429 || status >= 500;
}

// Builds "?a=1&b=x" from the scalar fields of a JSON object, repeating the key for arrays.
std::string query_string(const nlohmann::json& request) {
  if (request.is_null() || request.empty()) {
    return "";
  }
  std::string query;
  auto append = [&query](const std::string& key, const nlohmann::json& value) {
    query += query.empty() ? "?" : "&";
    const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    query += url_encode(key) + "=" + url_encode(text);
  };
  for (const auto& [key, value] : request.items()) {
    if (value.is_array()) {
      for (const auto& element : value) {
        append(key, element);
      }
    } else if (!value.is_null()) {
      append(key, value);
    }
  }
  return query;
}

std::string shorten(const std::string& text, std::size_t limit = 2000) {
  if (text.size() <= limit) {
    return text;
  }
  return text.substr(0, limit) + "... (" + std::to_string(text.size() - limit) + " more bytes)";
}

}  // namespace

std::string url_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded.push_back('%');
      encoded.push_back(kHex[c >> 4]);
      encoded.push_back(kHex[c & 0x0f]);
    }
  }
  return encoded;
}

RestClient::RestClient(RestClientOptions options) : options_(std::move(options)) {
  initialize_curl_once();
  curl_ = curl_easy_init();
  if (curl_ == nullptr) {
    throw Error("libcurl could not create a handle for " + redact_url(options_.base_url));
  }
}

RestClient::~RestClient() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

nlohmann::json RestClient::call(const std::string& method, const std::string& endpoint,
                                const nlohmann::json& request,
                                const RetryCheck& check_before_retry) {
  Request http;
  http.method = method;
  if (method == "GET") {
    http.endpoint = endpoint + query_string(request);
  } else {
    http.endpoint = endpoint;
    http.body = request.is_null() ? "{}" : request.dump();
  }
  const Response response = send(http, check_before_retry);
  if (response.body.empty()) {
    return nlohmann::json::object();
  }
  try {
    return nlohmann::json::parse(response.body);
  } catch (const nlohmann::json::parse_error&) {
    throw Error("MLflow server at " + redact_url(options_.base_url) + " returned a response to " +
                method + " " + endpoint + " that is not JSON: " + shorten(response.body, 300) +
                "; check that MLFLOW_TRACKING_URI points at an MLflow tracking server");
  }
}

void RestClient::upload_file(const std::string& endpoint, const fs::path& file) {
  Request http;
  http.method = "PUT";
  http.endpoint = endpoint;
  http.upload = &file;
  send(http);
}

void RestClient::download_file(const std::string& endpoint, const fs::path& file) {
  const fs::path temporary = temporary_sibling(file);
  Request http;
  http.method = "GET";
  http.endpoint = endpoint;
  http.download = &temporary;
  try {
    send(http);
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
  std::error_code error;
  fs::rename(temporary, file, error);
  if (error) {
    fs::remove(temporary, error);
    throw Error("cannot rename a downloaded artifact to " + file.string() + ": " + error.message());
  }
}

RestClient::Response RestClient::send(const Request& request,
                                      const RetryCheck& check_before_retry) {
  const int attempts = std::max(0, options_.max_retries) + 1;
  std::string last_failure;
  for (int attempt = 1;; ++attempt) {
    // A lost response does not mean a lost request, because the server may have done the work.
    if (attempt > 1 && check_before_retry) {
      std::optional<nlohmann::json> earlier_response;
      try {
        earlier_response = check_before_retry();
      } catch (const Error& error) {
        throw Error("MLflow request " + request.method + " " + request.endpoint + " to " +
                    redact_url(options_.base_url) + " failed (" + last_failure +
                    "), and checking whether it took effect failed too, so it is not sent "
                    "again: " +
                    error.what());
      }
      if (earlier_response) {
        spdlog::info(
            "MLflow request {} {} took effect although its response was lost; not sending it "
            "again",
            request.method, request.endpoint);
        Response response;
        response.status = 200;
        response.body = earlier_response->dump();
        return response;
      }
    }

    std::string transport_error;
    bool retryable = false;
    Response response;
    {
      std::lock_guard lock(mutex_);
      response = perform_once(request, &transport_error, &retryable);
    }
    const bool failed = !transport_error.empty() || response.status >= 400;
    if (!failed) {
      return response;
    }

    last_failure =
        !transport_error.empty() ? transport_error : "HTTP " + std::to_string(response.status);
    if (!retryable || attempt >= attempts) {
      if (!transport_error.empty()) {
        throw Error("cannot reach the MLflow tracking server at " + redact_url(options_.base_url) +
                    " (" + request.method + " " + request.endpoint + "): " + transport_error +
                    " after " + std::to_string(attempt) +
                    (attempt == 1 ? " attempt" : " attempts") +
                    "; check that the server is running and that MLFLOW_TRACKING_URI is right");
      }
      throw_http_error(request, response);
    }

    // urllib3's schedule, factor * 2^(n-1) with a cap. A Retry-After header replaces it.
    auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(
        static_cast<double>(options_.backoff_factor.count()) * std::pow(2.0, attempt - 1)));
    if (response.retry_after_seconds >= 0) {
      delay = std::chrono::milliseconds(response.retry_after_seconds * 1000);
    }
    delay = std::min(delay, options_.max_backoff);
    spdlog::warn("MLflow request {} {} failed ({}), retry {}/{} in {} ms", request.method,
                 request.endpoint, last_failure, attempt, attempts - 1, delay.count());
    std::this_thread::sleep_for(delay);
  }
}

RestClient::Response RestClient::perform_once(const Request& request, std::string* transport_error,
                                              bool* retryable) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  Response response;

  const std::string url = options_.base_url + request.endpoint;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  const std::string user_agent = std::string("recsys/") + kVersion;
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.retry_after_seconds);
  if (options_.insecure_tls) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!options_.ca_bundle.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  }

  curl_slist* headers = nullptr;
  const std::string bearer = "Authorization: Bearer " + options_.token;
  if (!options_.token.empty()) {
    headers = curl_slist_append(headers, bearer.c_str());
  } else if (!options_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  }

  std::ifstream upload;
  std::ofstream download;
  if (request.upload != nullptr) {
    upload.open(*request.upload, std::ios::binary);
    if (!upload) {
      curl_slist_free_all(headers);
      throw Error("cannot read artifact file " + request.upload->string());
    }
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_from_stream);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                     static_cast<curl_off_t>(fs::file_size(*request.upload)));
    headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    // An empty Expect header turns off "Expect: 100-continue", a round trip per large file.
    headers = curl_slist_append(headers, "Expect:");
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    headers = curl_slist_append(headers, "Content-Type: application/json");
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  DownloadSink sink{curl, &download, &response.body};
  if (request.download != nullptr) {
    download.open(*request.download, std::ios::binary | std::ios::trunc);
    if (!download) {
      curl_slist_free_all(headers);
      throw Error("cannot write " + request.download->string());
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_download);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  } else {
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_to_string);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  }

  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  if (code == CURLE_WRITE_ERROR && request.download != nullptr) {
    throw Error("cannot write " + request.download->string() +
                ": check free space and permissions");
  }
  if (code != CURLE_OK) {
    *transport_error = curl_easy_strerror(code);
    *retryable = is_retryable_transport_error(code);
    return response;
  }
  if (request.download != nullptr && response.status < 300) {
    download.flush();
    if (!download) {
      throw Error("cannot write " + request.download->string() +
                  ": check free space and permissions");
    }
  }
  *retryable = is_retryable_status(response.status);
  return response;
}

void RestClient::throw_http_error(const Request& request, const Response& response) const {
  const std::string where = request.method + " " + redact_url(options_.base_url) +
                            request.endpoint + " returned HTTP " + std::to_string(response.status);
  if (response.status == 401 || response.status == 403) {
    throw MlflowError(
        "MLflow server rejected the credentials: " + where + ": " + shorten(response.body) +
            "; set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and "
            "MLFLOW_TRACKING_PASSWORD, to credentials the server accepts",
        response.status == 401 ? "UNAUTHENTICATED" : "PERMISSION_DENIED", response.status);
  }

  // MLflow's error body is {"error_code": "...", "message": "..."}, shown as it came.
  std::string error_code = kInternalError;
  std::string message = shorten(response.body);
  try {
    const auto json = nlohmann::json::parse(response.body);
    if (json.is_object() && json.contains("error_code")) {
      error_code = json.at("error_code").get<std::string>();
      message = json.value("message", std::string());
    }
  } catch (const nlohmann::json::exception&) {
    // The body is not MLflow's JSON error format, so the raw body describes the error best.
  }
  throw MlflowError("MLflow request failed: " + where + ": " + error_code + ": " + message,
                    error_code, response.status);
}

}  // namespace recsys::tracking
