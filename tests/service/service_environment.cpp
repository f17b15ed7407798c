#include "service_environment.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "child_process.hpp"
#include "test_models.hpp"

namespace recsys::testing {

namespace {

std::unique_ptr<ServiceEnvironment> g_environment;

std::string last_line(std::string text) {
  while (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  auto newline = text.rfind('\n');
  return newline == std::string::npos ? text : text.substr(newline + 1);
}

// Stops the cluster once every test has run.
class TearDownEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (g_environment) {
      g_environment->tear_down();
    }
  }
};

const auto* const g_tear_down = ::testing::AddGlobalTestEnvironment(new TearDownEnvironment);

}  // namespace

std::string recsys_binary() {
  return RECSYS_BINARY;
}

ServiceEnvironment& ServiceEnvironment::get() {
  if (!g_environment) {
    g_environment.reset(new ServiceEnvironment());
  }
  return *g_environment;
}

ServiceEnvironment::ServiceEnvironment() : dataset_(make_synthetic_dataset()) {
  char pattern[] = "/tmp/recsys-serve-test-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    throw std::runtime_error("cannot create a temporary directory under /tmp");
  }
  work_directory_ = pattern;
  // scripts/local-db.sh runs the server as the postgres user when root runs the tests.
  std::filesystem::permissions(work_directory_, std::filesystem::perms::owner_all |
                                                    std::filesystem::perms::group_read |
                                                    std::filesystem::perms::group_exec |
                                                    std::filesystem::perms::others_read |
                                                    std::filesystem::perms::others_exec);
  do {
    port_ = free_loopback_port();
  } while (port_ == 55432);

  auto started = run_command({"/bin/sh", "-c", script("start")});
  if (started.exit_code != 0) {
    throw std::runtime_error("scripts/local-db.sh start failed:\n" + started.output);
  }
  running_ = true;
  database_url_ = last_line(started.output);

  auto migrated = run_command({recsys_binary(), "db", "migrate", "--database-url", database_url_});
  if (migrated.exit_code != 0) {
    throw std::runtime_error("recsys db migrate failed:\n" + migrated.output);
  }
}

std::string ServiceEnvironment::script(const std::string& command) const {
  return "RECSYS_PG_DIR=" + (work_directory_ / "postgres").string() +
         " RECSYS_PG_PORT=" + std::to_string(port_) + " " + RECSYS_SOURCE_DIR +
         "/scripts/local-db.sh " + command + " 2>&1";
}

std::filesystem::path ServiceEnvironment::model_directory(const std::string& model_type,
                                                          int variant) {
  auto directory = work_directory_ / ("model-" + model_type + "-" + std::to_string(variant));
  if (std::filesystem::exists(directory / "model.json")) {
    return directory;
  }
  std::string seed = std::to_string(42 + variant);
  std::string hyperparameters;
  if (model_type == "als") {
    hyperparameters = R"({"factors": 8, "regularization": 0.5, "alpha": 2.0, "iterations": 20,
                          "solver": "cholesky", "threads": 1, "seed": )" +
                      seed + "}";
  } else if (model_type == "mf") {
    hyperparameters = R"({"factors": 6, "iterations": 20, "threads": 1, "seed": )" + seed + "}";
  } else {
    hyperparameters = "{}";
  }
  write_trained_model(dataset_, model_type, hyperparameters, directory);
  return directory;
}

void ServiceEnvironment::publish(const std::filesystem::path& model_directory,
                                 const std::string& version) {
  if (!running_) {
    start_database();  // A test that stopped it failed before starting it again.
  }
  auto result = run_command({recsys_binary(), "publish", "--database-url", database_url_,
                             "--model-dir", model_directory.string(), "--model-name", kModelName,
                             "--model-version", version, "--keep", "1"});
  if (result.exit_code != 0) {
    throw std::runtime_error("recsys publish of version " + version + " failed:\n" + result.output);
  }
}

void ServiceEnvironment::stop_database() {
  auto result = run_command({"/bin/sh", "-c", script("stop")});
  if (result.exit_code != 0) {
    throw std::runtime_error("scripts/local-db.sh stop failed:\n" + result.output);
  }
  running_ = false;
}

void ServiceEnvironment::start_database() {
  auto result = run_command({"/bin/sh", "-c", script("start")});
  if (result.exit_code != 0) {
    throw std::runtime_error("scripts/local-db.sh start failed:\n" + result.output);
  }
  running_ = true;
}

void ServiceEnvironment::tear_down() {
  if (running_) {
    run_command({"/bin/sh", "-c", script("stop")});
    running_ = false;
  }
  if (const char* keep = std::getenv("RECSYS_TEST_KEEP_DIR"); keep != nullptr && *keep != '\0') {
    std::fprintf(stderr, "kept the service test directory %s\n", work_directory_.c_str());
    return;
  }
  std::error_code error;
  std::filesystem::remove_all(work_directory_, error);
}

}  // namespace recsys::testing
