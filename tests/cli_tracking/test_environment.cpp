#include <gtest/gtest.h>

#include <cstdlib>

namespace {

// Makes every recsys process independent of the caller's MLflow settings and keeps retry
// waits short. The processes inherit this environment.
class CliTestEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    for (const char* name :
         {"MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME",
          "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_INSECURE_TLS"}) {
      unsetenv(name);
    }
    setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0.001", 1);
    setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2", 1);
    setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "20", 1);
  }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new CliTestEnvironment);

}  // namespace
