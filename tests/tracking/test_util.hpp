#pragma once

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "train/interrupt.hpp"
#include "train/training_observer.hpp"

namespace recsys::testing {

// Clears the caller's MLflow settings and makes retries quick, so tests (and the recsys
// processes they start, which inherit the environment) do not depend on the machine.
inline void isolate_mlflow_environment(int max_retries) {
  for (const char* name :
       {"MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_INSECURE_TLS"}) {
    unsetenv(name);
  }
  setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0.001", 1);
  setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", std::to_string(max_retries).c_str(), 1);
  setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "20", 1);
}

// A fresh directory under the system temporary directory, removed at scope exit.
class TempDirectory {
 public:
  TempDirectory() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("recsys-tracking-test-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// InterruptGuard keeps the last signal after it is destroyed, and the MLflow observer checks
// that flag, so a test that raises a signal clears it for the tests that follow.
inline void clear_interrupt_flag() {
  InterruptGuard clear;
}

inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

inline void write_file(const std::filesystem::path& file, const std::string& content) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << content;
}

inline const std::string kFingerprint =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// A model directory with the files `recsys train` writes; the contents are small stand-ins,
// since the tracking stage only copies them.
inline void write_fake_model_directory(const std::filesystem::path& directory,
                                       const std::string& fingerprint = kFingerprint) {
  write_file(directory / "model.json",
             "{\"format_version\": 1, \"model_type\": \"als\", \"factors\": 8, \"dimension\": 10, "
             "\"dataset_name\": \"ml-100k\", \"dataset_fingerprint\": \"" +
                 fingerprint + "\", \"split\": \"random-80-20\"}");
  write_file(directory / "user_embeddings.npy", std::string("\x93NUMPY user", 11));
  write_file(directory / "movie_embeddings.npy", std::string("\x93NUMPY movie", 12));
  write_file(directory / "id_maps.json", "{\"user_ids\": [1], \"movie_ids\": [2]}");
  write_file(directory / "train_ratings.npy", std::string("\x93NUMPY ratings", 14));
  write_file(directory / "metrics.json", "{\"ndcg_at_10\": 0.25}");
  write_file(directory / "evaluation.json", "{\"k\": 10}");
  write_file(directory / "catalog" / "movies.json", "[]");
  write_file(directory / "catalog" / "users.json", "[]");
  write_file(directory / "catalog" / "genres.json", "[\"Drama\"]");
}

inline TrainingRunInfo fake_run_info(const std::string& fingerprint = kFingerprint,
                                     const std::string& split = "random-80-20") {
  TrainingRunInfo info;
  info.params = {{"model_type", "als"}, {"factors", "8"}, {"regularization", "0.1"}};
  info.tags = {{"custom.tag", "value"}, {"git_commit", "feedbeef1234"}};
  info.dataset_name = "ml-100k";
  info.dataset_fingerprint = fingerprint;
  info.dataset_source = "/data/ml-100k";
  info.split = split;
  return info;
}

// Captures what the default spdlog logger writes while it lives.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000)) {
    previous_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }

  std::string text() const {
    std::string all;
    for (const auto& line : sink_->last_formatted()) {
      all += line;
    }
    return all;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace recsys::testing
