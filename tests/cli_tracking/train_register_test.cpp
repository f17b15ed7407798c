// `recsys train` with MLflow tracking, run as a separate process against the in-test MLflow
// server: what happens to the run, the model directory and the exit status when a request
// fails, when registration fails and when SIGINT arrives during the artifact upload.
#include <gtest/gtest.h>

#include <Eigen/Core>  // Before httplib.h, whose <resolv.h> defines a macro _res that breaks Eigen.
#include <atomic>
#include <csignal>
#include <regex>
#include <sstream>

#include "recsys_process.hpp"
#include "tracking/mock_mlflow_server.hpp"
#include "train/train_test_support.hpp"

namespace recsys::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModelName = "movielens-recommender";

class TrainCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = test::write_ml100k_release(dir_.path(), test::planted_clusters(60, 45, 3, 0.5, 21));
    out_ = dir_.path() / "model";
  }

  // The arguments of a small tracked training run that writes the model to out_.
  std::vector<std::string> train_arguments(const std::string& tracking_uri) const {
    return {
        "train",     "--data", data_.string(), "--split", "u1",    "--model",     "als",
        "--factors", "4",      "--iterations", "2",       "--out", out_.string(), "--tracking-uri",
        tracking_uri};
  }

  static std::string run_id_in(const std::string& output) {
    std::smatch match;
    if (!std::regex_search(output, match, std::regex("mlflow run: ([0-9a-f]{32})"))) {
      return "";
    }
    return match[1];
  }

  test::TempDir dir_;
  fs::path data_;
  fs::path out_;
};

// Splits a command line printed without quotes into its words.
std::vector<std::string> words(const std::string& command) {
  std::istringstream in(command);
  std::vector<std::string> parts;
  std::string part;
  while (in >> part) {
    parts.push_back(part);
  }
  return parts;
}

TEST_F(TrainCommand, FailedRequestAfterCreateEndsRunFailed) {
  MockMlflowServer server;
  server.fail_next("POST", "/api/2.0/mlflow/runs/log-inputs", 100, 400,
                   R"({"error_code": "INVALID_PARAMETER_VALUE", "message": "dataset rejected"})");

  const ProcessResult result = run_recsys(train_arguments(server.url()), dir_.path());

  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("dataset rejected"), std::string::npos) << result.output;
  const std::vector<std::string> runs = server.run_ids();
  ASSERT_EQ(runs.size(), 1u) << result.output;
  EXPECT_EQ(server.run_status(runs[0]), "FAILED");
  EXPECT_NE(server.run_tags(runs[0]).at("recsys.error").find("dataset rejected"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(out_));
}

// The registry keeps failing after the run FINISHED: the run and the model directory stay,
// and the command printed in the error registers the run once the registry works again.
TEST_F(TrainCommand, FailedRegistrationKeepsRunAndModel) {
  MockMlflowServer server;
  server.fail_next("POST", "/api/2.0/mlflow/registered-models/create", 1000, 503);
  std::vector<std::string> arguments = train_arguments(server.url());
  arguments.push_back("--register");

  const ProcessResult result = run_recsys(arguments, dir_.path());

  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(fs::exists(out_ / "model.json")) << "the model directory was removed";
  const std::string run_id = run_id_in(result.output);
  ASSERT_FALSE(run_id.empty()) << result.output;
  EXPECT_EQ(server.run_status(run_id), "FINISHED");
  EXPECT_TRUE(server.has_artifact("1/" + run_id + "/artifacts/model/MLmodel"));
  EXPECT_NE(result.output.find("model directory " + out_.string() + " was kept"), std::string::npos)
      << result.output;

  std::smatch match;
  ASSERT_TRUE(std::regex_search(result.output, match,
                                std::regex("to register it, run: (recsys register[^\n]*)")))
      << result.output;
  const std::string command = match[1];
  EXPECT_EQ(command, "recsys register --run-id " + run_id + " --tracking-uri " + server.url() +
                         " --registered-model " + kModelName + " --promotion-metric ndcg_at_10");

  server.clear_faults();
  std::vector<std::string> retry = words(command);
  retry.erase(retry.begin());
  const ProcessResult registered = run_recsys(retry, dir_.path());
  EXPECT_EQ(registered.exit_code, 0) << registered.output;
  EXPECT_EQ(server.alias_target(kModelName, "champion"), "1");
}

TEST_F(TrainCommand, RegisterWithoutOutIsClearError) {
  MockMlflowServer server;
  const ProcessResult result =
      run_recsys({"train", "--data", data_.string(), "--folds", "u1", "--model", "als", "--factors",
                  "4", "--iterations", "2", "--tracking-uri", server.url(), "--register"},
                 dir_.path());

  // The command fails before training, so no run is created either.
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("--register needs --out"), std::string::npos) << result.output;
  EXPECT_EQ(server.count_requests("POST", "/api/2.0/mlflow/runs/create"), 0);
  EXPECT_EQ(server.model_version_count(kModelName), 0);
}

// SIGINT sent while the model files are uploaded ends the run KILLED, registers nothing,
// removes the model directory and exits 128 + 2, as an interrupt during training does.
TEST_F(TrainCommand, SigintDuringUploadEndsRunKilled) {
  std::atomic<pid_t> child{0};
  std::atomic<int> model_uploads{0};
  MockMlflowServer server;
  server.set_request_hook([&](const MockMlflowServer::RecordedRequest& request) {
    const pid_t pid = child.load();
    if (request.method == "PUT" && request.path.find("/artifacts/model/") != std::string::npos &&
        ++model_uploads == 1 && pid > 0) {
      kill(pid, SIGINT);
    }
  });
  std::vector<std::string> arguments = train_arguments(server.url());
  arguments.push_back("--register");

  RecsysProcess process(arguments, dir_.path(), dir_.path() / "train.log");
  child = process.pid();
  const ProcessResult result = process.wait();

  EXPECT_EQ(result.killed_by, 0) << "recsys died of the signal instead of stopping cleanly";
  EXPECT_EQ(result.exit_code, 128 + SIGINT) << result.output;
  const std::vector<std::string> runs = server.run_ids();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(server.run_status(runs[0]), "KILLED");
  EXPECT_NE(server.run_tags(runs[0]).at("recsys.error").find("SIGINT"), std::string::npos);
  EXPECT_FALSE(server.has_artifact("1/" + runs[0] + "/artifacts/model/MLmodel"));
  EXPECT_EQ(server.model_version_count(kModelName), 0);
  EXPECT_EQ(server.count_requests("POST", "/api/2.0/mlflow/registered-models/create"), 0);
  EXPECT_FALSE(fs::exists(out_));
}

}  // namespace
}  // namespace recsys::testing
