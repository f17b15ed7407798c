// Once runs/create has succeeded, every error of the MLflow observer ends the run FAILED with
// the error recorded, on the file store and through the REST API, so no run stays RUNNING.
#include <gtest/gtest.h>

#include <memory>

#include "mock_mlflow_server.hpp"
#include "test_util.hpp"
#include "tracking/file_tracking_store.hpp"
#include "tracking/mlflow_error.hpp"
#include "tracking/mlflow_training_observer.hpp"

namespace recsys::tracking {
namespace {

namespace fs = std::filesystem;
using testing::LogCapture;
using testing::MockMlflowServer;
using testing::TempDirectory;

constexpr const char* kLogBatchRoute = "/api/2.0/mlflow/runs/log-batch";
constexpr const char* kLogInputs = "/api/2.0/mlflow/runs/log-inputs";
constexpr const char* kUpdateRun = "/api/2.0/mlflow/runs/update";
const std::string kInvalidValueBody =
    R"({"error_code": "INVALID_PARAMETER_VALUE", "message": "dataset rejected"})";

std::unique_ptr<MlflowTrainingObserver> observer_at(const std::string& tracking_uri) {
  MlflowTrackingOptions options;
  options.tracking_uri = tracking_uri;
  return make_mlflow_training_observer(options);
}

// Calls on_start, expects it to throw MlflowError and returns that error's code.
std::string start_expecting_error(MlflowTrainingObserver& observer, const TrainingRunInfo& info) {
  try {
    observer.on_start(info);
  } catch (const MlflowError& error) {
    return error.error_code();
  }
  ADD_FAILURE() << "on_start succeeded although a request after runs/create failed";
  return "";
}

TEST(RunFailure, RejectedParamsEndFileStoreRunFailed) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  auto observer = observer_at(root.string());
  TrainingRunInfo info = testing::fake_run_info();
  info.params["solver"] = std::string(kMaxParamValueLength + 1, 'x');

  EXPECT_EQ(start_expecting_error(*observer, info), kInvalidParameterValue);

  ASSERT_FALSE(observer->run_id().empty()) << "the run was not created";
  const tracking::Run run = FileTrackingStore(root).get_run(observer->run_id());
  EXPECT_EQ(run.info.status, RunStatus::kFailed);
  EXPECT_TRUE(run.info.end_time_ms.has_value());
  EXPECT_NE(run.tags.at("recsys.error").find("param 'solver'"), std::string::npos)
      << run.tags.at("recsys.error");
}

TEST(RunFailure, RejectedInputsEndRestRunFailed) {
  MockMlflowServer server;
  server.fail_next("POST", kLogInputs, 100, 400, kInvalidValueBody);
  auto observer = observer_at(server.url());

  EXPECT_EQ(start_expecting_error(*observer, testing::fake_run_info()), kInvalidParameterValue);

  const std::string run_id = observer->run_id();
  ASSERT_FALSE(run_id.empty());
  EXPECT_EQ(server.run_status(run_id), "FAILED");
  EXPECT_NE(server.run_tags(run_id).at("recsys.error").find("dataset rejected"), std::string::npos);
  EXPECT_EQ(server.run_params(run_id).at("model_type"), "als");
}

// The error tag goes through log-batch too, so it is lost, but the status still changes.
TEST(RunFailure, FailingLogBatchEndsRestRunFailed) {
  MockMlflowServer server;
  server.fail_next("POST", kLogBatchRoute, 1000, 500);
  auto observer = observer_at(server.url());
  LogCapture logs;

  EXPECT_EQ(start_expecting_error(*observer, testing::fake_run_info()), kInternalError);

  const std::string run_id = observer->run_id();
  ASSERT_FALSE(run_id.empty());
  EXPECT_EQ(server.run_status(run_id), "FAILED");
  EXPECT_EQ(server.run_tags(run_id).count("recsys.error"), 0u);
  EXPECT_NE(logs.text().find("cannot record the error on MLflow run " + run_id), std::string::npos)
      << logs.text();
}

// When ending the run fails as well, that is logged and the first error is the one thrown.
TEST(RunFailure, FailedRunUpdateKeepsOriginalError) {
  MockMlflowServer server;
  server.fail_next("POST", kLogInputs, 100, 400, kInvalidValueBody);
  server.fail_next("POST", kUpdateRun, 1000, 503);
  auto observer = observer_at(server.url());
  LogCapture logs;

  EXPECT_EQ(start_expecting_error(*observer, testing::fake_run_info()), kInvalidParameterValue);

  const std::string run_id = observer->run_id();
  EXPECT_EQ(server.run_status(run_id), "RUNNING");
  EXPECT_NE(logs.text().find("cannot mark MLflow run " + run_id + " FAILED"), std::string::npos)
      << logs.text();
}

TEST(RunFailure, DestroyedObserverEndsRunningRun) {
  MockMlflowServer server;
  auto observer = observer_at(server.url());
  observer->on_start(testing::fake_run_info());
  observer->on_iteration(1, {{"train_loss", 0.5}});
  const std::string run_id = observer->run_id();
  ASSERT_EQ(server.run_status(run_id), "RUNNING");

  observer.reset();

  EXPECT_EQ(server.run_status(run_id), "FAILED");
  EXPECT_EQ(server.metric_history(run_id, "train_loss"), std::vector<double>{0.5});
  EXPECT_NE(server.run_tags(run_id).at("recsys.error").find("before the MLflow run ended"),
            std::string::npos);
}

TEST(RunFailure, DestroyedObserverKeepsFinishedRun) {
  MockMlflowServer server;
  TempDirectory temp;
  auto observer = observer_at(server.url());
  observer->on_start(testing::fake_run_info());
  testing::write_fake_model_directory(temp.path() / "model");
  observer->on_success({{"ndcg_at_10", 0.3}}, temp.path() / "model",
                       temp.path() / "model" / "evaluation.json");
  const std::string run_id = observer->run_id();

  observer.reset();

  EXPECT_EQ(server.run_status(run_id), "FINISHED");
  EXPECT_EQ(server.run_tags(run_id).count("recsys.error"), 0u);
}

}  // namespace
}  // namespace recsys::tracking
