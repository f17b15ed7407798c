#include <gtest/gtest.h>

#include "test_util.hpp"

namespace {

// Makes every test independent of the caller's MLflow settings and keeps retry waits short.
class TrackingTestEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { recsys::testing::isolate_mlflow_environment(3); }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new TrackingTestEnvironment);

}  // namespace
