#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <fstream>

#include "core/error.hpp"
#include "mock_mlflow_server.hpp"
#include "test_util.hpp"
#include "tracking/file_model_registry.hpp"
#include "tracking/file_tracking_store.hpp"
#include "tracking/mlflow_error.hpp"
#include "tracking/model_registration.hpp"
#include "tracking/model_registry.hpp"
#include "train/interrupt.hpp"
#include "training_fixture.hpp"

namespace recsys::tracking {
namespace {

namespace fs = std::filesystem;
using testing::log_fake_training_run;
using testing::MockMlflowServer;
using testing::TempDirectory;

RegisterOptions options_for(const std::string& tracking_uri, const std::string& run_id) {
  RegisterOptions options;
  options.tracking_uri = tracking_uri;
  options.run_id = run_id;
  options.poll_interval = std::chrono::milliseconds(1);
  options.ready_timeout = std::chrono::milliseconds(2000);
  return options;
}

class FileRegistration : public ::testing::Test {
 protected:
  std::string uri() const { return (temp_.path() / "mlruns").string(); }
  std::string train(double ndcg, double rmse = 1.0,
                    const std::string& fingerprint = testing::kFingerprint,
                    const std::string& split = "random-80-20") {
    return log_fake_training_run(uri(), temp_.path(), {{"ndcg_at_10", ndcg}, {"rmse", rmse}},
                                 fingerprint, split);
  }
  std::string champion() {
    FileModelRegistry registry(temp_.path() / "mlruns");
    return registry.get_model_version_by_alias("movielens-recommender", "champion").version;
  }

  TempDirectory temp_;
};

TEST_F(FileRegistration, FirstVersionBecomesChampion) {
  const std::string run = train(0.25);
  const RegistrationResult result = register_model(options_for(uri(), run));

  EXPECT_EQ(result.version, "1");
  EXPECT_TRUE(result.promoted);
  EXPECT_TRUE(result.previous_champion.empty());
  EXPECT_EQ(champion(), "1");

  FileModelRegistry registry(temp_.path() / "mlruns");
  const ModelVersion version = registry.get_model_version("movielens-recommender", "1");
  EXPECT_EQ(version.run_id, run);
  EXPECT_EQ(version.source.substr(version.source.size() - 6), "/model");
  EXPECT_EQ(version.tags.at("recsys.dataset.fingerprint"), testing::kFingerprint);
  EXPECT_EQ(version.tags.at("recsys.split"), "random-80-20");
  EXPECT_EQ(version.tags.at("metric.ndcg_at_10"), "0.25");
  EXPECT_EQ(version.tags.at("recsys.promotion").rfind("promoted: ", 0), 0u);
  EXPECT_TRUE(
      fs::exists(fs::path(version.source.substr(std::string("file://").size())) / "MLmodel"));
}

TEST_F(FileRegistration, BetterVersionTakesChampion) {
  register_model(options_for(uri(), train(0.25)));
  const RegistrationResult result = register_model(options_for(uri(), train(0.30)));
  EXPECT_TRUE(result.promoted);
  EXPECT_EQ(result.previous_champion, "1");
  EXPECT_EQ(champion(), "2");
}

TEST_F(FileRegistration, WorseVersionKeepsChampion) {
  register_model(options_for(uri(), train(0.25)));
  const RegistrationResult result = register_model(options_for(uri(), train(0.20)));
  EXPECT_FALSE(result.promoted);
  EXPECT_EQ(result.version, "2");
  EXPECT_NE(result.reason.find("not better"), std::string::npos);
  EXPECT_EQ(champion(), "1");
}

TEST_F(FileRegistration, DifferentDataSetKeepsChampion) {
  register_model(options_for(uri(), train(0.25)));
  const std::string other = "sha256:" + std::string(64, 'f');
  const RegistrationResult result = register_model(options_for(uri(), train(0.90, 1.0, other)));
  EXPECT_FALSE(result.promoted);
  EXPECT_NE(result.reason.find("not comparable"), std::string::npos);
  EXPECT_EQ(champion(), "1");
}

TEST_F(FileRegistration, NanMetricAndNanChampion) {
  const std::string run = train(0.25);
  fs::path metric_file;
  for (const auto& entry : fs::recursive_directory_iterator(temp_.path() / "mlruns")) {
    if (entry.path().filename() == "ndcg_at_10" &&
        entry.path().parent_path().parent_path().filename() == run) {
      metric_file = entry.path();
    }
  }
  ASSERT_FALSE(metric_file.empty());
  std::ofstream(metric_file, std::ios::app) << "1 nan 99\n";

  const RegistrationResult nan_run = register_model(options_for(uri(), run));
  EXPECT_FALSE(nan_run.promoted);
  EXPECT_NE(nan_run.reason.find("not a finite number"), std::string::npos) << nan_run.reason;
  FileModelRegistry registry(temp_.path() / "mlruns");
  EXPECT_THROW(registry.get_model_version_by_alias("movielens-recommender", "champion"), Error);

  // A champion holding NaN, as an older release promoted, gives way to a finite value.
  EXPECT_TRUE(register_model(options_for(uri(), train(0.2))).promoted);
  const fs::path tag = temp_.path() / "mlruns" / "models" / "movielens-recommender" / "version-2" /
                       "tags" / "metric.ndcg_at_10";
  ASSERT_TRUE(fs::exists(tag));
  std::ofstream(tag, std::ios::trunc) << "nan";
  const RegistrationResult finite = register_model(options_for(uri(), train(0.1)));
  EXPECT_TRUE(finite.promoted) << finite.reason;
  EXPECT_NE(finite.reason.find("champion's ndcg_at_10 is nan"), std::string::npos) << finite.reason;
  EXPECT_EQ(champion(), "3");
}

TEST_F(FileRegistration, ForcePromotesWorseVersion) {
  register_model(options_for(uri(), train(0.25)));
  RegisterOptions options = options_for(uri(), train(0.10));
  options.force = true;
  EXPECT_TRUE(register_model(options).promoted);
  EXPECT_EQ(champion(), "2");
}

TEST_F(FileRegistration, RmseDecidesWithLowerIsBetter) {
  RegisterOptions first = options_for(uri(), train(0.25, 0.95));
  first.metric = "rmse";
  register_model(first);
  RegisterOptions second = options_for(uri(), train(0.10, 0.90));
  second.metric = "rmse";
  EXPECT_TRUE(register_model(second).promoted);
  EXPECT_EQ(champion(), "2");
}

TEST_F(FileRegistration, AliasOnDeletedVersionIsReplaced) {
  register_model(options_for(uri(), train(0.50)));
  // Another tool pointed the alias at a version that does not exist.
  testing::write_file(
      temp_.path() / "mlruns" / "models" / "movielens-recommender" / "aliases" / "champion", "7");
  testing::LogCapture logs;
  const RegistrationResult result = register_model(options_for(uri(), train(0.10)));
  EXPECT_TRUE(result.promoted);
  EXPECT_NE(logs.text().find("no longer exists"), std::string::npos);
  EXPECT_EQ(champion(), "2");
}

TEST_F(FileRegistration, RegisteringRunAgainReusesVersion) {
  const std::string run = train(0.25);
  const RegistrationResult first = register_model(options_for(uri(), run));
  const RegistrationResult second = register_model(options_for(uri(), run));

  EXPECT_FALSE(first.reused);
  EXPECT_TRUE(second.reused);
  EXPECT_EQ(second.version, first.version);
  EXPECT_TRUE(second.promoted);
  EXPECT_NE(second.reason.find("champion already"), std::string::npos) << second.reason;
  FileModelRegistry registry(temp_.path() / "mlruns");
  EXPECT_EQ(registry.search_model_versions("movielens-recommender").size(), 1u);
  EXPECT_EQ(champion(), first.version);
}

TEST_F(FileRegistration, DeletedVersionIsNotReused) {
  const std::string run = train(0.25);
  register_model(options_for(uri(), run));
  FileModelRegistry registry(temp_.path() / "mlruns");
  registry.delete_model_version("movielens-recommender", "1");

  const RegistrationResult again = register_model(options_for(uri(), run));

  EXPECT_FALSE(again.reused);
  EXPECT_EQ(again.version, "2");
  EXPECT_EQ(champion(), "2");
}

TEST_F(FileRegistration, FailedRunIsRejected) {
  MlflowTrackingOptions options;
  options.tracking_uri = uri();
  auto observer = make_mlflow_training_observer(options);
  observer->on_start(testing::fake_run_info());
  observer->on_failure("out of memory", false);
  try {
    register_model(options_for(uri(), observer->run_id()));
    FAIL() << "a failed run was registered";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("status FAILED"), std::string::npos);
  }
  FileModelRegistry registry(temp_.path() / "mlruns");
  EXPECT_FALSE(registry.get_registered_model("movielens-recommender").has_value());
}

TEST_F(FileRegistration, MissingMetricIsClearError) {
  RegisterOptions options = options_for(uri(), train(0.25));
  options.metric = "recall_at_20";
  try {
    register_model(options);
    FAIL() << "a run without the metric was registered";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("no metric 'recall_at_20'"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("ndcg_at_10"), std::string::npos);
  }
}

TEST_F(FileRegistration, UnknownRunIsClearError) {
  FileTrackingStore store(temp_.path() / "mlruns");
  EXPECT_THROW(register_model(options_for(uri(), "0123456789abcdef0123456789abcdef")), MlflowError);
}

TEST(RestRegistration, PromotesAndTagsThroughRestApi) {
  MockMlflowServer server;
  TempDirectory temp;
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}});
  const RegistrationResult result = register_model(options_for(server.url(), run));

  EXPECT_TRUE(result.promoted);
  EXPECT_EQ(result.source, "mlflow-artifacts:/1/" + run + "/artifacts/model");
  EXPECT_EQ(server.alias_target("movielens-recommender", "champion"), "1");
  const auto create = server.accepted_bodies("/api/2.0/mlflow/model-versions/create").at(0);
  EXPECT_EQ(create.at("run_id"), run);
  EXPECT_EQ(create.at("source"), result.source);
  EXPECT_EQ(server.count_requests("POST", "/api/2.0/mlflow/model-versions/set-tag"), 1);
}

TEST(RestRegistration, WaitsUntilVersionIsReady) {
  MockMlflowServer server;
  server.set_pending_polls(3);
  TempDirectory temp;
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}});
  const RegistrationResult result = register_model(options_for(server.url(), run));
  EXPECT_TRUE(result.promoted);
  EXPECT_GE(server.count_requests("GET", "/api/2.0/mlflow/model-versions/get"), 3);
}

TEST(RestRegistration, PendingVersionTimesOut) {
  MockMlflowServer server;
  server.set_pending_polls(1000000);
  TempDirectory temp;
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}});
  RegisterOptions options = options_for(server.url(), run);
  options.ready_timeout = std::chrono::milliseconds(50);
  try {
    register_model(options);
    FAIL() << "a pending version was promoted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("PENDING_REGISTRATION"), std::string::npos);
  }
  EXPECT_FALSE(server.alias_target("movielens-recommender", "champion").has_value());
}

TEST(RestRegistration, FailedRegistrationKeepsChampion) {
  MockMlflowServer server;
  TempDirectory temp;
  register_model(options_for(
      server.url(), log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}})));
  server.fail_registrations("storage quota exceeded");
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.9}});
  try {
    register_model(options_for(server.url(), run));
    FAIL() << "a failed registration was promoted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("storage quota exceeded"), std::string::npos);
  }
  EXPECT_EQ(server.alias_target("movielens-recommender", "champion"), "1");
}

TEST(RestRegistration, FailedAliasRequestKeepsChampion) {
  MockMlflowServer server;
  TempDirectory temp;
  register_model(options_for(
      server.url(), log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}})));
  server.fail_next("POST", "/api/2.0/mlflow/registered-models/alias", 100, 500);
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.9}});
  EXPECT_THROW(register_model(options_for(server.url(), run)), MlflowError);
  EXPECT_EQ(server.alias_target("movielens-recommender", "champion"), "1");
}

TEST(RestRegistration, RegisteredModelCreateRaceIsHandled) {
  MockMlflowServer server;
  server.race_next_create("/api/2.0/mlflow/registered-models/create");
  TempDirectory temp;
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}});
  const RegistrationResult result = register_model(options_for(server.url(), run));
  EXPECT_EQ(result.version, "1");
  EXPECT_TRUE(result.promoted);
}

TEST(RestRegistration, AliasOnDeletedVersionIsReplaced) {
  MockMlflowServer server;
  TempDirectory temp;
  register_model(options_for(
      server.url(), log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.9}})));
  server.delete_version_keep_aliases("movielens-recommender", "1");
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.1}});
  const RegistrationResult result = register_model(options_for(server.url(), run));
  EXPECT_TRUE(result.promoted);
  EXPECT_EQ(server.alias_target("movielens-recommender", "champion"), "2");
}

TEST(RestRegistration, HalfUploadedModelCreatesNoVersion) {
  MockMlflowServer server;
  TempDirectory temp;
  MlflowTrackingOptions options;
  options.tracking_uri = server.url();
  options.register_model = true;
  auto observer = make_mlflow_training_observer(options);
  observer->on_start(testing::fake_run_info());
  const std::string run = observer->run_id();
  // Every upload of MLmodel fails: the model files before it arrive, the upload never ends.
  server.fail_next(
      "PUT", "/api/2.0/mlflow-artifacts/artifacts/1/" + run + "/artifacts/model/MLmodel", 100, 500);
  testing::write_fake_model_directory(temp.path() / "model");
  EXPECT_THROW(observer->on_success({{"ndcg_at_10", 0.3}}, temp.path() / "model",
                                    temp.path() / "model" / "evaluation.json"),
               MlflowError);

  EXPECT_TRUE(server.has_artifact("1/" + run + "/artifacts/model/model.json"));
  EXPECT_FALSE(server.has_artifact("1/" + run + "/artifacts/model/MLmodel"));
  EXPECT_EQ(server.run_status(run), "FAILED");
  EXPECT_EQ(server.model_version_count("movielens-recommender"), 0);
  EXPECT_THROW(register_model(options_for(server.url(), run)), Error);
  EXPECT_EQ(server.model_version_count("movielens-recommender"), 0);
}

constexpr const char* kCreateVersion = "/api/2.0/mlflow/model-versions/create";
constexpr const char* kSearchVersions = "/api/2.0/mlflow/model-versions/search";

// The create request reaches the server and takes effect, but its response is lost, so the
// retry must find that version instead of creating a second one.
TEST(RestRegistration, LostCreateResponseCreatesOneVersion) {
  MockMlflowServer server;
  TempDirectory temp;
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}});
  server.drop_next_after_handling("POST", kCreateVersion, 1);

  const RegistrationResult result = register_model(options_for(server.url(), run));

  EXPECT_EQ(result.version, "1");
  EXPECT_TRUE(result.promoted);
  EXPECT_EQ(server.model_version_count("movielens-recommender"), 1);
  EXPECT_EQ(server.count_requests("POST", kCreateVersion), 1);
  EXPECT_EQ(server.alias_target("movielens-recommender", "champion"), "1");
}

// A gateway can return 5xx after the tracking server committed the version.
TEST(RestRegistration, ServerErrorAfterCreateCreatesOneVersion) {
  MockMlflowServer server;
  TempDirectory temp;
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}});
  server.fail_next_after_handling("POST", kCreateVersion, 1, 502);

  const RegistrationResult result = register_model(options_for(server.url(), run));

  EXPECT_EQ(result.version, "1");
  EXPECT_EQ(server.model_version_count("movielens-recommender"), 1);
  EXPECT_EQ(server.count_requests("POST", kCreateVersion), 1);
}

// A create that failed before it took effect is sent again.
TEST(RestRegistration, FailedCreateIsSentAgain) {
  MockMlflowServer server;
  TempDirectory temp;
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}});
  server.fail_next("POST", kCreateVersion, 1, 500);

  const RegistrationResult result = register_model(options_for(server.url(), run));

  EXPECT_EQ(result.version, "1");
  EXPECT_EQ(server.model_version_count("movielens-recommender"), 1);
  EXPECT_EQ(server.count_requests("POST", kCreateVersion), 2);
}

// The version that existed before the create call is not mistaken for the lost one.
TEST(RestRegistration, LostCreateAfterFailedVersionCreatesOneMore) {
  MockMlflowServer server;
  TempDirectory temp;
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}});
  server.fail_registrations("storage quota exceeded");
  EXPECT_THROW(register_model(options_for(server.url(), run)), Error);
  server.fail_registrations("");
  server.drop_next_after_handling("POST", kCreateVersion, 1);

  const RegistrationResult result = register_model(options_for(server.url(), run));

  EXPECT_FALSE(result.reused) << "a version that failed registration was reused";
  EXPECT_EQ(result.version, "2");
  EXPECT_EQ(server.model_version_count("movielens-recommender"), 2);
  EXPECT_EQ(server.alias_target("movielens-recommender", "champion"), "2");
}

// The search that looks for the lost version fails once and is retried itself.
TEST(RestRegistration, LostCreateSurvivesFailingSearch) {
  MockMlflowServer server;
  TempDirectory temp;
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}});
  server.drop_next_after_handling("POST", kCreateVersion, 1);
  // Registration searches the run's versions twice before the create request.
  MockMlflowServer::Fault search_fault;
  search_fault.method = "GET";
  search_fault.path_prefix = kSearchVersions;
  search_fault.status = 500;
  search_fault.skip = 2;
  server.add_fault(search_fault);

  const RegistrationResult result = register_model(options_for(server.url(), run));

  EXPECT_EQ(result.version, "1");
  EXPECT_EQ(server.model_version_count("movielens-recommender"), 1);
  EXPECT_EQ(server.count_requests("GET", kSearchVersions), 4);
}

// When the server cannot tell whether the lost create took effect, the create is not sent
// again. Registering the run later reuses the version the lost request created.
TEST(RestRegistration, UnanswerableCreateIsNotRepeated) {
  MockMlflowServer server;
  TempDirectory temp;
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}});
  server.drop_next_after_handling("POST", kCreateVersion, 1);
  MockMlflowServer::Fault search_fault;
  search_fault.method = "GET";
  search_fault.path_prefix = kSearchVersions;
  search_fault.remaining = 100;
  search_fault.status = 503;
  search_fault.skip = 2;
  server.add_fault(search_fault);

  try {
    register_model(options_for(server.url(), run));
    FAIL() << "registration succeeded without knowing whether its version exists";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("checking whether it took effect failed"),
              std::string::npos)
        << error.what();
  }
  EXPECT_EQ(server.model_version_count("movielens-recommender"), 1);
  EXPECT_EQ(server.count_requests("POST", kCreateVersion), 1);
  EXPECT_FALSE(server.alias_target("movielens-recommender", "champion").has_value());

  server.clear_faults();
  const RegistrationResult result = register_model(options_for(server.url(), run));
  EXPECT_TRUE(result.reused);
  EXPECT_EQ(result.version, "1");
  EXPECT_TRUE(result.promoted);
  EXPECT_EQ(server.model_version_count("movielens-recommender"), 1);
  EXPECT_EQ(server.count_requests("POST", kCreateVersion), 1);
}

// After a failed alias request, registering the run again finishes the job on the same
// version.
TEST(RestRegistration, RegisteringAgainAfterFailedAliasReusesVersion) {
  MockMlflowServer server;
  TempDirectory temp;
  register_model(options_for(
      server.url(), log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}})));
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.9}});
  server.fail_next("POST", "/api/2.0/mlflow/registered-models/alias", 100, 500);
  EXPECT_THROW(register_model(options_for(server.url(), run)), MlflowError);
  server.clear_faults();

  const RegistrationResult result = register_model(options_for(server.url(), run));

  EXPECT_TRUE(result.reused);
  EXPECT_EQ(result.version, "2");
  EXPECT_TRUE(result.promoted);
  EXPECT_EQ(server.model_version_count("movielens-recommender"), 2);
  EXPECT_EQ(server.alias_target("movielens-recommender", "champion"), "2");
}

// The registry search sends MLflow's filter for one run and reads only that run's versions.
TEST(RestRegistration, SearchesVersionsOfOneRun) {
  MockMlflowServer server;
  TempDirectory temp;
  const std::string first = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}});
  const std::string second =
      log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.4}});
  register_model(options_for(server.url(), first));
  register_model(options_for(server.url(), second));

  auto registry = open_model_registry(resolve_tracking_config(server.url()));
  const std::vector<ModelVersion> versions = registry->search_model_versions_of_run(second);

  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0].version, "2");
  EXPECT_EQ(versions[0].run_id, second);
  const std::string expected_filter = "run_id='" + second + "'";
  int filtered_searches = 0;
  for (const auto& request : server.requests()) {
    const auto filter = request.query.find("filter");
    if (request.path == kSearchVersions && filter != request.query.end() &&
        filter->second == expected_filter) {
      ++filtered_searches;
    }
  }
  EXPECT_GE(filtered_searches, 1) << "no search with filter " << expected_filter;
}

// SIGINT while the version is PENDING_REGISTRATION stops the wait: the version stays, the
// alias does not move, and registering the run again finishes on the same version.
TEST(RestRegistration, InterruptedWaitMovesNoAlias) {
  std::atomic<bool> raised{false};
  MockMlflowServer server;
  TempDirectory temp;
  register_model(options_for(
      server.url(), log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}})));
  const std::string run = log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.9}});
  server.set_pending_polls(3);
  server.set_request_hook([&raised](const MockMlflowServer::RecordedRequest& request) {
    if (request.path == "/api/2.0/mlflow/model-versions/get" && !raised.exchange(true)) {
      std::raise(SIGINT);
    }
  });
  RegisterOptions options = options_for(server.url(), run);
  options.ready_timeout = std::chrono::milliseconds(60'000);

  {
    InterruptGuard guard;
    try {
      register_model(options);
      FAIL() << "registration went on after SIGINT";
    } catch (const TrainingInterrupted& interrupted) {
      EXPECT_EQ(interrupted.signal_number(), SIGINT);
    }
  }
  testing::clear_interrupt_flag();

  EXPECT_EQ(server.model_version_count("movielens-recommender"), 2);
  EXPECT_EQ(server.alias_target("movielens-recommender", "champion"), "1");
  const RegistrationResult again = register_model(options);
  EXPECT_TRUE(again.reused);
  EXPECT_EQ(again.version, "2");
  EXPECT_EQ(server.alias_target("movielens-recommender", "champion"), "2");
}

TEST(RegisterCommand, NamesEveryOption) {
  TempDirectory temp;
  RegisterOptions options;
  options.tracking_uri = (temp.path() / "store" / ".." / "mlruns").string();
  options.run_id = "0123456789abcdef0123456789abcdef";
  options.model_name = "my model's name";
  options.metric = "rmse";
  options.alias = "production";
  options.force = true;

  EXPECT_EQ(format_register_command(options),
            "recsys register --run-id 0123456789abcdef0123456789abcdef --tracking-uri " +
                (temp.path() / "mlruns").string() +
                " --registered-model 'my model'\\''s name' --promotion-metric rmse --alias "
                "production --force-promotion");
}

TEST(RegisterCommand, HidesServerCredentials) {
  RegisterOptions options;
  options.tracking_uri = "https://alice:secret@mlflow.example:5000/prefix";
  options.run_id = "abc";

  const std::string command = format_register_command(options);

  EXPECT_EQ(command,
            "recsys register --run-id abc --tracking-uri https://mlflow.example:5000/prefix "
            "--registered-model movielens-recommender --promotion-metric ndcg_at_10");
  EXPECT_EQ(command.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace recsys::tracking
