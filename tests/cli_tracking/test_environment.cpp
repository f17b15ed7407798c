#include <gtest/gtest.h>

#include "tracking/test_util.hpp"

namespace {

// Makes every recsys process independent of the caller's MLflow settings and keeps retry
// waits short. The processes inherit this environment.
class CliTestEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { recsys::testing::isolate_mlflow_environment(2); }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new CliTestEnvironment);

}  // namespace
