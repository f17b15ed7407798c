#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <regex>

#include "core/error.hpp"
#include "mock_mlflow_server.hpp"
#include "test_util.hpp"
#include "tracking/file_tracking_store.hpp"
#include "tracking/mlflow_training_observer.hpp"
#include "training_fixture.hpp"

namespace recsys::tracking {
namespace {

namespace fs = std::filesystem;
using testing::MockMlflowServer;
using testing::read_file;
using testing::TempDirectory;

fs::path run_directory(const fs::path& root, const std::string& run_id) {
  for (const auto& experiment : fs::directory_iterator(root)) {
    if (fs::exists(experiment.path() / run_id)) {
      return experiment.path() / run_id;
    }
  }
  return {};
}

TEST(MlflowTrainingObserver, LogsCompleteRunToFileStore) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  const std::string run_id = testing::log_fake_training_run(root.string(), temp.path(),
                                                            {{"ndcg_at_10", 0.25}, {"rmse", 0.93}});

  FileTrackingStore store(root);
  const auto experiment = store.get_experiment_by_name("movielens");
  ASSERT_TRUE(experiment.has_value());
  const tracking::Run run = store.get_run(run_id);
  EXPECT_EQ(run.info.experiment_id, experiment->experiment_id);
  EXPECT_EQ(run.info.status, RunStatus::kFinished);
  ASSERT_TRUE(run.info.end_time_ms.has_value());
  EXPECT_EQ(run.params.at("factors"), "8");
  EXPECT_EQ(run.params.at("regularization"), "0.1");
  EXPECT_DOUBLE_EQ(run.metrics.at("ndcg_at_10"), 0.25);
  EXPECT_DOUBLE_EQ(run.metrics.at("train_loss"), 0.7);
  EXPECT_EQ(run.tags.at("recsys.dataset.fingerprint"), testing::kFingerprint);
  EXPECT_EQ(run.tags.at("recsys.dataset.name"), "ml-100k");
  EXPECT_EQ(run.tags.at("recsys.split"), "random-80-20");
  EXPECT_EQ(run.tags.at("mlflow.source.type"), "LOCAL");
  EXPECT_EQ(run.tags.at("mlflow.source.git.commit"), "feedbeef1234");
  EXPECT_FALSE(run.tags.at("recsys.host").empty());
  EXPECT_FALSE(run.tags.at("recsys.version").empty());
  EXPECT_EQ(run.tags.at("custom.tag"), "value");
  EXPECT_EQ(run.tags.at("mlflow.runName").rfind("als-", 0), 0u);

  const fs::path directory = run_directory(root, run_id);
  EXPECT_TRUE(std::regex_match(read_file(directory / "metrics" / "train_loss"),
                               std::regex("\\d+ 0\\.9 1\n\\d+ 0\\.7 2\n")));
  EXPECT_TRUE(fs::exists(directory / "artifacts" / "evaluation.json"));
  for (const char* file : {"MLmodel", "model.json", "user_embeddings.npy", "movie_embeddings.npy",
                           "id_maps.json", "train_ratings.npy", "catalog/movies.json"}) {
    EXPECT_TRUE(fs::exists(directory / "artifacts" / "model" / file)) << file;
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(directory / "inputs"), fs::directory_iterator()),
            1);
  const auto history = nlohmann::json::parse(run.tags.at("mlflow.log-model.history"));
  EXPECT_EQ(history.at(0).at("artifact_path"), "model");
  EXPECT_EQ(history.at(0).at("flavors").at("recsys_embeddings").at("model_type"), "als");
}

TEST(MlflowTrainingObserver, WritesMlmodelFile) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  const std::string run_id =
      testing::log_fake_training_run(root.string(), temp.path(), {{"ndcg_at_10", 0.25}});
  const fs::path file = run_directory(root, run_id) / "artifacts" / "model" / "MLmodel";

  const YAML::Node model = YAML::LoadFile(file.string());
  EXPECT_EQ(model["artifact_path"].as<std::string>(), "model");
  EXPECT_EQ(model["run_id"].as<std::string>(), run_id);
  EXPECT_TRUE(std::regex_match(model["model_uuid"].as<std::string>(), std::regex("[0-9a-f]{32}")));
  EXPECT_TRUE(std::regex_match(model["utc_time_created"].as<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?)")));
  const YAML::Node flavor = model["flavors"]["recsys_embeddings"];
  EXPECT_EQ(flavor["format_version"].as<int>(), 1);
  EXPECT_EQ(flavor["model_type"].as<std::string>(), "als");
  EXPECT_EQ(flavor["dimension"].as<int>(), 10);
  EXPECT_EQ(flavor["factors"].as<int>(), 8);
  EXPECT_EQ(flavor["dataset_fingerprint"].as<std::string>(), testing::kFingerprint);
  EXPECT_FALSE(model["mlflow_version"]);
}

TEST(MlflowTrainingObserver, MarksKilledAndFailedRuns) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  MlflowTrackingOptions options;
  options.tracking_uri = root.string();

  auto killed = make_mlflow_training_observer(options);
  killed->on_start(testing::fake_run_info());
  killed->on_iteration(1, {{"train_loss", 0.5}});
  killed->on_failure("interrupted by SIGINT", true);
  auto failed = make_mlflow_training_observer(options);
  failed->on_start(testing::fake_run_info());
  failed->on_failure("invalid rating on line 7", false);

  FileTrackingStore store(root);
  const tracking::Run killed_run = store.get_run(killed->run_id());
  EXPECT_EQ(killed_run.info.status, RunStatus::kKilled);
  EXPECT_EQ(killed_run.tags.at("recsys.error"), "interrupted by SIGINT");
  EXPECT_DOUBLE_EQ(killed_run.metrics.at("train_loss"), 0.5);
  const tracking::Run failed_run = store.get_run(failed->run_id());
  EXPECT_EQ(failed_run.info.status, RunStatus::kFailed);
  EXPECT_EQ(failed_run.tags.at("recsys.error"), "invalid rating on line 7");
  // A second failure report does not change the recorded outcome.
  failed->on_failure("later error", true);
  EXPECT_EQ(store.get_run(failed->run_id()).info.status, RunStatus::kFailed);
}

TEST(MlflowTrainingObserver, LogsRunThroughRestApi) {
  MockMlflowServer server;
  TempDirectory temp;
  const std::string run_id = testing::log_fake_training_run(
      server.url(), temp.path(), {{"ndcg_at_10", 0.25}, {"recall_at_10", 0.1}});

  EXPECT_EQ(server.run_status(run_id), "FINISHED");
  EXPECT_EQ(server.run_params(run_id).at("model_type"), "als");
  EXPECT_EQ(server.metric_steps(run_id, "train_loss"), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(server.metric_history(run_id, "recall_at_10"), std::vector<double>{0.1});
  EXPECT_EQ(server.run_tags(run_id).at("recsys.split"), "random-80-20");
  const auto inputs = server.run_inputs(run_id);
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_EQ(inputs[0].at("dataset").at("digest"), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(inputs[0].at("dataset").at("source"), "{\"uri\":\"/data/ml-100k\"}");
  EXPECT_TRUE(server.has_artifact("1/" + run_id + "/artifacts/evaluation.json"));

  // MLmodel is the last model file uploaded.
  std::string last_model_upload;
  for (const auto& request : server.requests()) {
    if (request.method == "PUT" && request.path.find("/artifacts/model/") != std::string::npos) {
      last_model_upload = request.path;
    }
  }
  EXPECT_EQ(last_model_upload.substr(last_model_upload.rfind('/') + 1), "MLmodel");
}

TEST(MlflowTrainingObserver, FinishesRunWithoutModelDirectory) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  MlflowTrackingOptions options;
  options.tracking_uri = root.string();
  auto observer = make_mlflow_training_observer(options);
  observer->on_start(testing::fake_run_info());
  observer->on_success({{"ndcg_at_10", 0.3}}, {}, {});

  FileTrackingStore store(root);
  const tracking::Run run = store.get_run(observer->run_id());
  EXPECT_EQ(run.info.status, RunStatus::kFinished);
  EXPECT_DOUBLE_EQ(run.metrics.at("ndcg_at_10"), 0.3);
  EXPECT_TRUE(fs::is_empty(run_directory(root, observer->run_id()) / "artifacts"));
}

TEST(MlflowTrainingObserver, RegistersWhenAsked) {
  MockMlflowServer server;
  TempDirectory temp;
  MlflowTrackingOptions options;
  options.tracking_uri = server.url();
  options.register_model = true;
  auto observer = make_mlflow_training_observer(options);
  observer->on_start(testing::fake_run_info());
  testing::write_fake_model_directory(temp.path() / "model");
  observer->on_success({{"ndcg_at_10", 0.3}}, temp.path() / "model",
                       temp.path() / "model" / "evaluation.json");
  EXPECT_EQ(server.model_version_count("movielens-recommender"), 0)
      << "on_success registered the run; registration is the caller's separate step";

  const RegistrationResult registration = observer->register_run();
  EXPECT_TRUE(registration.promoted);
  EXPECT_EQ(registration.run_id, observer->run_id());
  EXPECT_EQ(server.alias_target("movielens-recommender", "champion"), "1");
}

TEST(MlflowTrainingObserver, RegisterRunNeedsFinishedRun) {
  TempDirectory temp;
  MlflowTrackingOptions options;
  options.tracking_uri = (temp.path() / "mlruns").string();
  auto observer = make_mlflow_training_observer(options);
  observer->on_start(testing::fake_run_info());
  EXPECT_THROW(observer->register_run(), Error);
  observer->on_failure("out of memory", false);
  EXPECT_FALSE(observer->finished());
  EXPECT_THROW(observer->register_run(), Error);
}

TEST(MlflowTrainingObserver, UnreachableServerFailsAtStart) {
  int port = 0;
  {
    MockMlflowServer server;
    port = std::stoi(server.url().substr(server.url().rfind(':') + 1));
  }
  MlflowTrackingOptions options;
  options.tracking_uri = "http://127.0.0.1:" + std::to_string(port);
  auto observer = make_mlflow_training_observer(options);
  try {
    observer->on_start(testing::fake_run_info());
    FAIL() << "a run started without a server";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("cannot reach the MLflow tracking server"),
              std::string::npos);
  }
  EXPECT_NO_THROW(observer->on_failure("cannot reach server", false));
}

}  // namespace
}  // namespace recsys::tracking
