// A real training run stopped by SIGTERM or SIGINT ends its MLflow run KILLED, not RUNNING.
// run_training catches the signal between iterations, the MLflow observer between artifact
// uploads, and the observer records it.
#include <gtest/gtest.h>

#include <Eigen/Core>  // Before httplib.h, whose <resolv.h> defines a macro _res that breaks Eigen.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <memory>

#include "mock_mlflow_server.hpp"
#include "test_util.hpp"
#include "tracking/file_tracking_store.hpp"
#include "tracking/mlflow_training_observer.hpp"
#include "train/interrupt.hpp"
#include "train/train_test_support.hpp"
#include "train/training_run.hpp"

namespace recsys::tracking {
namespace {

namespace fs = std::filesystem;

// Forwards every event to the MLflow observer and raises a signal after one iteration, or
// before on_success, as `kill` from another process would.
class SignalAfterIteration : public TrainingObserver {
 public:
  // A step that raises the signal once the model directory is written, before on_success.
  static constexpr int kBeforeUpload = -1;

  SignalAfterIteration(TrainingObserver& target, int step, int signal_number)
      : target_(target), step_(step), signal_number_(signal_number) {}

  void on_start(const TrainingRunInfo& info) override { target_.on_start(info); }
  void on_iteration(int step, const std::map<std::string, double>& metrics) override {
    target_.on_iteration(step, metrics);
    if (step == step_) {
      std::raise(signal_number_);
    }
  }
  void on_success(const std::map<std::string, double>& metrics, const fs::path& model_dir,
                  const fs::path& evaluation_report) override {
    if (step_ == kBeforeUpload) {
      std::raise(signal_number_);
    }
    target_.on_success(metrics, model_dir, evaluation_report);
  }
  void on_failure(const std::string& error, bool killed) override {
    target_.on_failure(error, killed);
  }

 private:
  TrainingObserver& target_;
  int step_;
  int signal_number_;
};

class InterruptedTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.data =
        test::write_ml100k_release(dir_.path(), test::planted_clusters(60, 45, 3, 0.5, 21));
    options_.model = "als";
    options_.hyperparameters = {{"factors", 6}, {"regularization", 1.0}, {"iterations", 4}};
    options_.out = dir_.path() / "models" / "als";
  }
  void TearDown() override { testing::clear_interrupt_flag(); }

  // Trains with the MLflow observer at `tracking_uri`, raises `signal_number` after
  // iteration 2 and returns the run id.
  std::string train_until_signal(const std::string& tracking_uri, int signal_number) {
    MlflowTrackingOptions tracking;
    tracking.tracking_uri = tracking_uri;
    auto mlflow = make_mlflow_training_observer(tracking);
    SignalAfterIteration observer(*mlflow, 2, signal_number);
    EXPECT_THROW(run_training(options_, &observer), TrainingInterrupted);
    EXPECT_FALSE(fs::exists(options_.out)) << "an interrupted run wrote its model";
    return mlflow->run_id();
  }

  test::TempDir dir_;
  TrainingRunOptions options_;
};

TEST_F(InterruptedTraining, FileStoreRunEndsKilled) {
  const fs::path root = dir_.path() / "mlruns";
  for (int signal_number : {SIGTERM, SIGINT}) {
    const std::string run_id = train_until_signal(root.string(), signal_number);
    ASSERT_FALSE(run_id.empty());

    FileTrackingStore store(root);
    const tracking::Run run = store.get_run(run_id);
    EXPECT_EQ(run.info.status, RunStatus::kKilled) << "signal " << signal_number;
    EXPECT_TRUE(run.info.end_time_ms.has_value());
    const std::string signal_name = signal_number == SIGTERM ? "SIGTERM" : "SIGINT";
    EXPECT_NE(run.tags.at("recsys.error").find(signal_name), std::string::npos)
        << run.tags.at("recsys.error");
    // The metrics of both finished iterations were logged before the run ended.
    const std::string metric_file =
        testing::read_file(root / run.info.experiment_id / run_id / "metrics" / "train_loss");
    EXPECT_EQ(std::count(metric_file.begin(), metric_file.end(), '\n'), 2) << metric_file;
  }
}

TEST_F(InterruptedTraining, RestRunEndsKilled) {
  testing::MockMlflowServer server;
  const std::string run_id = train_until_signal(server.url(), SIGTERM);
  ASSERT_FALSE(run_id.empty());

  EXPECT_EQ(server.run_status(run_id), "KILLED");
  EXPECT_EQ(server.metric_steps(run_id, "train_loss"), (std::vector<std::int64_t>{1, 2}));
  EXPECT_NE(server.run_tags(run_id).at("recsys.error").find("SIGTERM"), std::string::npos);
  const auto updates = server.accepted_bodies("/api/2.0/mlflow/runs/update");
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().at("status"), "KILLED");
  EXPECT_TRUE(updates.back().at("end_time").is_number_integer());
}

TEST_F(InterruptedTraining, SignalBeforeUploadEndsFileStoreRunKilled) {
  const fs::path root = dir_.path() / "mlruns";
  MlflowTrackingOptions tracking;
  tracking.tracking_uri = root.string();
  auto mlflow = make_mlflow_training_observer(tracking);
  SignalAfterIteration observer(*mlflow, SignalAfterIteration::kBeforeUpload, SIGTERM);

  EXPECT_THROW(run_training(options_, &observer), TrainingInterrupted);

  EXPECT_FALSE(fs::exists(options_.out)) << "an interrupted run kept its model directory";
  const tracking::Run run = FileTrackingStore(root).get_run(mlflow->run_id());
  EXPECT_EQ(run.info.status, RunStatus::kKilled);
  EXPECT_NE(run.tags.at("recsys.error").find("SIGTERM"), std::string::npos);
  const fs::path artifacts = root / run.info.experiment_id / mlflow->run_id() / "artifacts";
  EXPECT_TRUE(fs::is_empty(artifacts)) << "artifacts were uploaded after the signal";
}

// SIGINT arrives while the second model file is uploaded: that upload completes, and no
// other file, MLmodel included, follows it.
TEST_F(InterruptedTraining, SignalDuringUploadEndsRestRunKilled) {
  std::atomic<int> model_uploads{0};
  testing::MockMlflowServer server;
  server.set_request_hook([&model_uploads](const testing::MockMlflowServer::RecordedRequest& r) {
    if (r.method == "PUT" && r.path.find("/artifacts/model/") != std::string::npos &&
        ++model_uploads == 2) {
      std::raise(SIGINT);
    }
  });
  MlflowTrackingOptions tracking;
  tracking.tracking_uri = server.url();
  tracking.register_model = true;
  auto mlflow = make_mlflow_training_observer(tracking);

  try {
    run_training(options_, mlflow.get());
    FAIL() << "the run finished although SIGINT arrived during the upload";
  } catch (const TrainingInterrupted& interrupted) {
    EXPECT_EQ(interrupted.signal_number(), SIGINT);
  }

  const std::string run_id = mlflow->run_id();
  EXPECT_EQ(model_uploads.load(), 2);
  EXPECT_EQ(server.run_status(run_id), "KILLED");
  EXPECT_FALSE(mlflow->finished());
  EXPECT_NE(server.run_tags(run_id).at("recsys.error").find("SIGINT"), std::string::npos);
  EXPECT_FALSE(server.has_artifact("1/" + run_id + "/artifacts/model/MLmodel"));
  EXPECT_FALSE(server.has_artifact("1/" + run_id + "/artifacts/evaluation.json"));
  EXPECT_FALSE(fs::exists(options_.out)) << "an interrupted run kept its model directory";
  EXPECT_THROW(mlflow->register_run(), Error);
  EXPECT_EQ(server.model_version_count("movielens-recommender"), 0);
}

}  // namespace
}  // namespace recsys::tracking
