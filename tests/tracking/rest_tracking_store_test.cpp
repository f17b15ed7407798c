#include "tracking/rest_tracking_store.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "mock_mlflow_server.hpp"
#include "test_util.hpp"
#include "tracking/artifact_repository.hpp"
#include "tracking/mlflow_error.hpp"
#include "tracking/rest_client.hpp"

namespace recsys::tracking {
namespace {

namespace fs = std::filesystem;
using testing::MockMlflowServer;

const std::string kLogBatch = "/api/2.0/mlflow/runs/log-batch";

RestClientOptions store_client_options(const std::string& url) {
  RestClientOptions options;
  options.base_url = url;
  options.max_retries = 3;
  options.backoff_factor = std::chrono::milliseconds(1);
  return options;
}

TEST(RestTrackingStore, GetsOrCreatesExperiment) {
  MockMlflowServer server;
  RestTrackingStore store(store_client_options(server.url()));
  EXPECT_FALSE(store.get_experiment_by_name("movielens").has_value());
  const std::string id = store.get_or_create_experiment("movielens");
  EXPECT_EQ(store.get_or_create_experiment("movielens"), id);
  EXPECT_EQ(server.count_requests("POST", "/api/2.0/mlflow/experiments/create"), 1);
}

TEST(RestTrackingStore, CreateRaceReadsExistingExperiment) {
  MockMlflowServer server;
  server.race_next_create("/api/2.0/mlflow/experiments/create");
  RestTrackingStore store(store_client_options(server.url()));
  const std::string id = store.get_or_create_experiment("movielens");
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(store.get_experiment_by_name("movielens")->experiment_id, id);
}

TEST(RestTrackingStore, CreatesRunWithTagsAndArtifactUri) {
  MockMlflowServer server;
  RestTrackingStore store(store_client_options(server.url()));
  const std::string experiment = store.get_or_create_experiment("movielens");
  const RunInfo run =
      store.create_run(experiment, "als-1", 1700000000000, {{"mlflow.user", "tester"}});

  EXPECT_EQ(run.experiment_id, experiment);
  EXPECT_EQ(run.status, RunStatus::kRunning);
  EXPECT_EQ(run.artifact_uri, "mlflow-artifacts:/" + experiment + "/" + run.run_id + "/artifacts");
  const auto tags = server.run_tags(run.run_id);
  EXPECT_EQ(tags.at("mlflow.user"), "tester");
  EXPECT_EQ(tags.at("mlflow.runName"), "als-1");
  const auto body = server.accepted_bodies("/api/2.0/mlflow/runs/create").at(0);
  EXPECT_TRUE(body.at("start_time").is_number_integer());
  EXPECT_EQ(body.at("run_name"), "als-1");
  EXPECT_EQ(body.at("user_id"), "tester");
  EXPECT_EQ(run.user_id, "tester");
}

const std::string kCreateRun = "/api/2.0/mlflow/runs/create";
const std::string kSearchRuns = "/api/2.0/mlflow/runs/search";

// The run is created, but the response is lost. The retry finds the run by its request key
// instead of starting a second run that would stay RUNNING forever.
TEST(RestTrackingStore, LostRunCreateStartsOneRun) {
  MockMlflowServer server;
  server.drop_next_after_handling("POST", kCreateRun, 1);
  RestTrackingStore store(store_client_options(server.url()));

  const RunInfo run = store.create_run("0", "lost", 1700000000000, {});

  EXPECT_EQ(server.run_ids(), std::vector<std::string>{run.run_id});
  EXPECT_EQ(run.run_name, "lost");
  EXPECT_EQ(server.count_requests("POST", kCreateRun), 1);
  EXPECT_EQ(server.count_requests("POST", kSearchRuns), 1);
  const auto search = server.accepted_bodies(kSearchRuns).at(0);
  EXPECT_EQ(search.at("experiment_ids"), nlohmann::json::array({"0"}));
  EXPECT_EQ(search.at("filter"), "tags.`recsys.create_request` = '" +
                                     server.run_tags(run.run_id).at("recsys.create_request") + "'");
}

TEST(RestTrackingStore, FailedRunCreateIsSentAgain) {
  MockMlflowServer server;
  server.fail_next("POST", kCreateRun, 1, 503);
  RestTrackingStore store(store_client_options(server.url()));

  const RunInfo run = store.create_run("0", "retried", 1700000000000, {});

  EXPECT_EQ(server.run_ids(), std::vector<std::string>{run.run_id});
  EXPECT_EQ(server.count_requests("POST", kCreateRun), 2);
  EXPECT_EQ(server.count_requests("POST", kSearchRuns), 1);
}

TEST(RestTrackingStore, ChunksBatchesWithinMlflowLimits) {
  MockMlflowServer server;
  RestTrackingStore store(store_client_options(server.url()));
  const RunInfo run = store.create_run("0", "chunks", 1, {});

  std::vector<Metric> metrics;
  for (int step = 0; step < 2500; ++step) {
    metrics.push_back({"train_loss", 1.0 / (step + 1), 1700000000000 + step, step});
  }
  Params params;
  for (int i = 0; i < 250; ++i) {
    params["param_" + std::to_string(i)] = std::to_string(i);
  }
  Tags tags;
  for (int i = 0; i < 150; ++i) {
    tags["tag_" + std::to_string(i)] = "x";
  }
  store.log_batch(run.run_id, metrics, params, tags);

  const auto bodies = server.accepted_bodies(kLogBatch);
  // 2900 entries need at least three requests of at most 1000.
  ASSERT_EQ(bodies.size(), 3u);
  for (const auto& body : bodies) {
    const std::size_t metric_count = body.at("metrics").size();
    const std::size_t param_count = body.at("params").size();
    const std::size_t tag_count = body.at("tags").size();
    EXPECT_LE(metric_count, 1000u);
    EXPECT_LE(param_count, 100u);
    EXPECT_LE(tag_count, 100u);
    EXPECT_LE(metric_count + param_count + tag_count, 1000u);
  }
  EXPECT_EQ(server.metric_history(run.run_id, "train_loss").size(), 2500u);
  const auto steps = server.metric_steps(run.run_id, "train_loss");
  EXPECT_EQ(steps.front(), 0);
  EXPECT_EQ(steps.back(), 2499);
  EXPECT_EQ(server.run_params(run.run_id).size(), 250u);
  // Plus mlflow.runName and recsys.create_request.
  EXPECT_EQ(server.run_tags(run.run_id).size(), 152u);
}

// 100 params of 6000 characters and 100 tags of 5000 fit MLflow's count limits, but not its
// 1,000,000-byte limit on one request.
TEST(RestTrackingStore, SplitsBatchesAboveMlflowRequestSize) {
  MockMlflowServer server;
  RestTrackingStore store(store_client_options(server.url()));
  const RunInfo run = store.create_run("0", "large", 1, {});
  Params params;
  for (int i = 0; i < 100; ++i) {
    params["param_" + std::to_string(i)] = std::string(kMaxParamValueLength, 'p');
  }
  Tags tags;
  for (int i = 0; i < 100; ++i) {
    // Quotes double in JSON, so the tag values grow to 10000 bytes on the wire.
    tags["tag_" + std::to_string(i)] = std::string(kMaxTagValueLength, '"');
  }

  store.log_batch(run.run_id, {{"m", 1.0, 1, 0}}, params, tags);

  int batches = 0;
  for (const auto& request : server.requests()) {
    if (request.path == kLogBatch) {
      ++batches;
      EXPECT_LE(request.body.size(), kMaxBatchRequestBytes);
    }
  }
  EXPECT_GE(batches, 2);
  EXPECT_EQ(server.accepted_bodies(kLogBatch).size(), static_cast<std::size_t>(batches))
      << "the server rejected a batch";
  EXPECT_EQ(server.run_params(run.run_id).size(), 100u);
  // Plus mlflow.runName and recsys.create_request.
  EXPECT_EQ(server.run_tags(run.run_id).size(), 102u);
  EXPECT_EQ(server.metric_history(run.run_id, "m").size(), 1u);
}

TEST(RestTrackingStore, MockRejectsOversizeBatchAsMlflowDoes) {
  MockMlflowServer server;
  RestTrackingStore store(store_client_options(server.url()));
  const RunInfo run = store.create_run("0", "oversize", 1, {});
  nlohmann::json params = nlohmann::json::array();
  for (int i = 0; i < 101; ++i) {
    params.push_back({{"key", "p" + std::to_string(i)}, {"value", "1"}});
  }
  RestClient client(store_client_options(server.url()));
  try {
    client.call("POST", kLogBatch, {{"run_id", run.run_id}, {"params", params}});
    FAIL() << "the mock accepted 101 params in one batch";
  } catch (const MlflowError& error) {
    EXPECT_EQ(error.error_code(), "INVALID_PARAMETER_VALUE");
    EXPECT_NE(std::string(error.what()).find("at most 100 params"), std::string::npos);
  }
}

TEST(RestTrackingStore, SendsNonFiniteMetricsAsProtobufJsonStrings) {
  MockMlflowServer server;
  RestTrackingStore store(store_client_options(server.url()));
  const RunInfo run = store.create_run("0", "nan", 1, {});
  store.log_batch(run.run_id,
                  {{"m", std::numeric_limits<double>::quiet_NaN(), 1, 0},
                   {"m", std::numeric_limits<double>::infinity(), 2, 1},
                   {"m", -std::numeric_limits<double>::infinity(), 3, 2},
                   {"m", 0.5, 4, 3}},
                  {}, {});

  const auto body = server.accepted_bodies(kLogBatch).at(0);
  EXPECT_EQ(body.at("metrics").at(0).at("value"), "NaN");
  EXPECT_EQ(body.at("metrics").at(1).at("value"), "Infinity");
  EXPECT_EQ(body.at("metrics").at(2).at("value"), "-Infinity");
  EXPECT_EQ(body.at("metrics").at(3).at("value"), 0.5);
  const auto history = server.metric_history(run.run_id, "m");
  ASSERT_EQ(history.size(), 4u);
  EXPECT_TRUE(std::isnan(history[0]));
  EXPECT_EQ(history[1], std::numeric_limits<double>::infinity());
  EXPECT_EQ(history[2], -std::numeric_limits<double>::infinity());

  store.log_batch(run.run_id, {{"nan_last", std::numeric_limits<double>::quiet_NaN(), 5, 0}}, {},
                  {});
  EXPECT_TRUE(std::isnan(store.get_run(run.run_id).metrics.at("nan_last")));
}

TEST(RestTrackingStore, LogsDatasetInput) {
  MockMlflowServer server;
  RestTrackingStore store(store_client_options(server.url()));
  const RunInfo run = store.create_run("0", "inputs", 1, {});
  DatasetInput input;
  input.dataset = {"ml-100k",    "0123abcd",       "local", "{\"uri\": \"/data\"}",
                   std::nullopt, std::string("{}")};
  input.tags = {{"mlflow.data.context", "training"}};
  store.log_inputs(run.run_id, {input});

  const auto inputs = server.run_inputs(run.run_id);
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_EQ(inputs[0].at("dataset").at("name"), "ml-100k");
  EXPECT_EQ(inputs[0].at("dataset").at("digest"), "0123abcd");
  EXPECT_EQ(inputs[0].at("dataset").at("source_type"), "local");
  EXPECT_FALSE(inputs[0].at("dataset").contains("schema"));
  EXPECT_EQ(inputs[0].at("tags").at(0).at("key"), "mlflow.data.context");
}

TEST(RestTrackingStore, UpdatesStatusAndReadsRunBack) {
  MockMlflowServer server;
  RestTrackingStore store(store_client_options(server.url()));
  const RunInfo run = store.create_run("0", "status", 1700000000000, {});
  store.log_batch(run.run_id, {{"ndcg_at_10", 0.25, 5, 0}}, {{"factors", "8"}},
                  {{"recsys.split", "random"}});
  store.update_run(run.run_id, RunStatus::kFailed, 1700000009000);

  EXPECT_EQ(server.run_status(run.run_id), "FAILED");
  const tracking::Run read_back = store.get_run(run.run_id);
  EXPECT_EQ(read_back.info.status, RunStatus::kFailed);
  EXPECT_EQ(read_back.info.end_time_ms, 1700000009000);
  EXPECT_DOUBLE_EQ(read_back.metrics.at("ndcg_at_10"), 0.25);
  EXPECT_EQ(read_back.params.at("factors"), "8");
  EXPECT_EQ(read_back.tags.at("recsys.split"), "random");
}

TEST(RestTrackingStore, ChangedParamIsInvalidParameterValue) {
  MockMlflowServer server;
  RestTrackingStore store(store_client_options(server.url()));
  const RunInfo run = store.create_run("0", "params", 1, {});
  store.log_batch(run.run_id, {}, {{"factors", "8"}}, {});
  try {
    store.log_batch(run.run_id, {}, {{"factors", "16"}}, {});
    FAIL() << "a changed param was accepted";
  } catch (const MlflowError& error) {
    EXPECT_EQ(error.error_code(), "INVALID_PARAMETER_VALUE");
    EXPECT_NE(std::string(error.what()).find("Changing param values is not allowed"),
              std::string::npos);
  }
}

TEST(ProxiedArtifactRepository, UploadsListsAndDownloads) {
  MockMlflowServer server;
  TrackingConfig config = resolve_tracking_config(server.url());
  testing::TempDirectory temp;
  testing::write_fake_model_directory(temp.path() / "model");

  auto artifacts = open_artifact_repository("mlflow-artifacts:/1/abc/artifacts", config);
  artifacts->log_artifacts(temp.path() / "model", "model");
  EXPECT_TRUE(server.has_artifact("1/abc/artifacts/model/model.json"));
  EXPECT_TRUE(server.has_artifact("1/abc/artifacts/model/catalog/genres.json"));
  EXPECT_EQ(server.artifact("1/abc/artifacts/model/user_embeddings.npy"),
            std::string("\x93NUMPY user", 11));

  const auto top = artifacts->list_artifacts("model");
  bool catalog_is_dir = false;
  for (const FileInfo& info : top) {
    EXPECT_EQ(info.path.rfind("model/", 0), 0u) << info.path;
    catalog_is_dir = catalog_is_dir || (info.path == "model/catalog" && info.is_dir);
  }
  EXPECT_TRUE(catalog_is_dir);
  EXPECT_TRUE(artifacts->list_artifacts("missing").empty());

  artifacts->download_artifacts("model", temp.path() / "copy");
  EXPECT_EQ(testing::read_file(temp.path() / "copy" / "catalog" / "genres.json"), "[\"Drama\"]");
  EXPECT_EQ(testing::read_file(temp.path() / "copy" / "model.json"),
            testing::read_file(temp.path() / "model" / "model.json"));
}

TEST(ProxiedArtifactRepository, RetriesFailedUpload) {
  MockMlflowServer server;
  server.fail_next("PUT", "/api/2.0/mlflow-artifacts/artifacts/", 1, 502);
  TrackingConfig config = resolve_tracking_config(server.url());
  testing::TempDirectory temp;
  testing::write_file(temp.path() / "evaluation.json", "{\"k\": 10}");
  auto artifacts = open_artifact_repository("mlflow-artifacts:/1/abc/artifacts", config);
  artifacts->log_artifact(temp.path() / "evaluation.json", "");
  EXPECT_EQ(server.artifact("1/abc/artifacts/evaluation.json"), "{\"k\": 10}");
}

TEST(ProxiedArtifactRepository, NeedsTrackingServer) {
  testing::TempDirectory temp;
  const TrackingConfig config = resolve_tracking_config(temp.path().string());
  EXPECT_THROW(open_artifact_repository("mlflow-artifacts:/1/abc", config), Error);
  EXPECT_THROW(open_artifact_repository("s3://bucket/key", config), Error);
}

}  // namespace
}  // namespace recsys::tracking
