#include "tracking/file_tracking_store.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <regex>

#include "core/error.hpp"
#include "test_util.hpp"
#include "tracking/local_files.hpp"
#include "tracking/mlflow_error.hpp"

namespace recsys::tracking {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::TempDirectory;

std::int64_t field_number(const std::string& yaml, const std::string& key) {
  std::smatch match;
  const std::regex pattern(key + ": (\\d+)\n");
  if (!std::regex_search(yaml, match, pattern)) {
    return -1;
  }
  return std::stoll(match[1]);
}

TEST(FileTrackingStore, CreatesDefaultExperimentLikeMlflow) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  FileTrackingStore store(root);
  store.create_experiment("movielens");

  const std::string meta = read_file(root / "0" / "meta.yaml");
  const std::int64_t created = field_number(meta, "creation_time");
  ASSERT_GT(created, 0);
  EXPECT_EQ(meta, "artifact_location: " + path_to_file_uri(root) + "/0\n" +
                      "creation_time: " + std::to_string(created) + "\n" + "experiment_id: '0'\n" +
                      "last_update_time: " + std::to_string(created) + "\n" +
                      "lifecycle_stage: active\n" + "name: Default\n");
  EXPECT_TRUE(fs::is_directory(root / ".trash"));
  auto experiment = store.get_experiment_by_name("Default");
  ASSERT_TRUE(experiment.has_value());
  EXPECT_EQ(experiment->experiment_id, "0");
}

TEST(FileTrackingStore, ReadingMissingStoreCreatesNothing) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  FileTrackingStore store(root);

  EXPECT_FALSE(store.get_experiment_by_name("Default").has_value());
  try {
    store.get_run("0123456789abcdef0123456789abcdef");
    FAIL() << "a run was found in a store that does not exist";
  } catch (const MlflowError& error) {
    EXPECT_EQ(error.error_code(), kResourceDoesNotExist);
  }
  EXPECT_FALSE(fs::exists(root)) << "a read created the store";
}

TEST(FileTrackingStore, FirstRunCreatesStore) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  FileTrackingStore store(root);
  const RunInfo run = store.create_run("0", "first", 1700000000000, {});

  EXPECT_TRUE(fs::exists(root / "0" / "meta.yaml"));
  EXPECT_TRUE(fs::is_directory(root / ".trash"));
  EXPECT_EQ(store.get_run(run.run_id).info.experiment_id, "0");
}

TEST(FileTrackingStore, RootThatIsFileIsClearError) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  testing::write_file(root, "not a store");
  try {
    FileTrackingStore store(root);
    FAIL() << "a file was opened as a tracking store";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(root.string() + " is not a directory"),
              std::string::npos)
        << error.what();
  }
}

TEST(FileTrackingStore, CreatesExperimentWithMlflowId) {
  TempDirectory temp;
  FileTrackingStore store(temp.path() / "mlruns");
  const std::string id = store.create_experiment("movielens");

  EXPECT_EQ(id.size(), 18u);
  EXPECT_NE(id.front(), '0');
  EXPECT_EQ(id.find_first_not_of("0123456789"), std::string::npos);
  const std::string meta = read_file(temp.path() / "mlruns" / id / "meta.yaml");
  EXPECT_NE(meta.find("experiment_id: '" + id + "'\n"), std::string::npos);
  EXPECT_NE(meta.find("name: movielens\n"), std::string::npos);
  EXPECT_EQ(store.get_or_create_experiment("movielens"), id);
}

TEST(FileTrackingStore, RejectsDuplicateExperimentName) {
  TempDirectory temp;
  FileTrackingStore store(temp.path() / "mlruns");
  store.create_experiment("movielens");
  try {
    store.create_experiment("movielens");
    FAIL() << "a duplicate experiment name was accepted";
  } catch (const MlflowError& error) {
    EXPECT_EQ(error.error_code(), kResourceAlreadyExists);
  }
}

TEST(FileTrackingStore, WritesRunMetaAndTagsLikeMlflow) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  FileTrackingStore store(root);
  const std::string experiment = store.create_experiment("movielens");
  const RunInfo run =
      store.create_run(experiment, "als-test", 1700000000123,
                       {{"mlflow.source.git.commit", "abc123"}, {"mlflow.user", "tester"}});

  ASSERT_EQ(run.run_id.size(), 32u);
  const fs::path run_directory = root / experiment / run.run_id;
  const std::string expected_uri =
      path_to_file_uri(root) + "/" + experiment + "/" + run.run_id + "/artifacts";
  EXPECT_EQ(run.artifact_uri, expected_uri);
  EXPECT_EQ(read_file(run_directory / "meta.yaml"), "artifact_uri: " + expected_uri + "\n" +
                                                        "deleted_time: null\n"
                                                        "end_time: null\n"
                                                        "entry_point_name: ''\n"
                                                        "experiment_id: '" +
                                                        experiment + "'\n" +
                                                        "lifecycle_stage: active\n"
                                                        "run_id: " +
                                                        run.run_id + "\n" +
                                                        "run_name: als-test\n"
                                                        "run_uuid: " +
                                                        run.run_id + "\n" +
                                                        "source_name: ''\n"
                                                        "source_type: 4\n"
                                                        "source_version: ''\n"
                                                        "start_time: 1700000000123\n"
                                                        "status: 1\n"
                                                        "tags: []\n"
                                                        "user_id: " +
                                                        run.user_id + "\n");
  EXPECT_EQ(read_file(run_directory / "tags" / "mlflow.runName"), "als-test");
  EXPECT_EQ(read_file(run_directory / "tags" / "mlflow.source.git.commit"), "abc123");
  EXPECT_TRUE(fs::is_directory(run_directory / "metrics"));
  EXPECT_TRUE(fs::is_directory(run_directory / "params"));
  EXPECT_TRUE(fs::is_directory(run_directory / "artifacts"));
}

TEST(FileTrackingStore, AppendsMetricLinesWithPythonFloats) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  FileTrackingStore store(root);
  const RunInfo run = store.create_run("0", "metrics", 1, {});
  store.log_batch(run.run_id,
                  {{"train_loss", 0.5, 1700000000001, 1},
                   {"train_loss", 0.25, 1700000000002, 2},
                   {"train_loss", 1.0, 1700000000003, 3},
                   {"odd", std::numeric_limits<double>::quiet_NaN(), 5, 0},
                   {"odd", std::numeric_limits<double>::infinity(), 6, 1},
                   {"odd", 1e-5, 7, 2},
                   {"group/nested", 2.0, 8, 0}},
                  {}, {});

  const fs::path metrics = root / "0" / run.run_id / "metrics";
  EXPECT_EQ(read_file(metrics / "train_loss"),
            "1700000000001 0.5 1\n1700000000002 0.25 2\n1700000000003 1.0 3\n");
  EXPECT_EQ(read_file(metrics / "odd"), "5 nan 0\n6 inf 1\n7 1e-05 2\n");
  EXPECT_EQ(read_file(metrics / "group" / "nested"), "8 2.0 0\n");

  const tracking::Run read_back = store.get_run(run.run_id);
  EXPECT_DOUBLE_EQ(read_back.metrics.at("train_loss"), 1.0);
  EXPECT_DOUBLE_EQ(read_back.metrics.at("odd"), 1e-5);
  EXPECT_DOUBLE_EQ(read_back.metrics.at("group/nested"), 2.0);
}

TEST(FileTrackingStore, MalformedMetricLineNamesFileAndLine) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  FileTrackingStore store(root);
  const RunInfo run = store.create_run("0", "metrics", 1, {});
  store.log_batch(run.run_id, {{"ndcg_at_10", 0.5, 1, 0}}, {}, {});
  const fs::path file = root / "0" / run.run_id / "metrics" / "ndcg_at_10";
  for (const char* line : {"abc def ghi", "1 0.5 x", "1 0.5x 2", "99999999999999999999 1 1"}) {
    std::ofstream(file) << "1 0.5 0\n" << line << "\n";
    try {
      store.get_run(run.run_id);
      ADD_FAILURE() << "no error for metric line '" << line << "'";
    } catch (const InputError& error) {
      EXPECT_EQ(error.file(), file.string());
      EXPECT_EQ(error.line(), 2);
    }
  }
}

TEST(FileTrackingStore, ParamsAreImmutable) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  FileTrackingStore store(root);
  const RunInfo run = store.create_run("0", "params", 1, {});
  store.log_batch(run.run_id, {}, {{"factors", "64"}, {"regularization", "0.1"}}, {});
  EXPECT_EQ(read_file(root / "0" / run.run_id / "params" / "factors"), "64");

  store.log_batch(run.run_id, {}, {{"factors", "64"}}, {});  // Same value: allowed.
  try {
    store.log_batch(run.run_id, {}, {{"factors", "32"}}, {});
    FAIL() << "a changed param value was accepted";
  } catch (const MlflowError& error) {
    EXPECT_EQ(error.error_code(), kInvalidParameterValue);
    EXPECT_NE(std::string(error.what()).find("factors"), std::string::npos);
  }
  EXPECT_EQ(read_file(root / "0" / run.run_id / "params" / "factors"), "64");
}

TEST(FileTrackingStore, RejectsInvalidKeys) {
  TempDirectory temp;
  FileTrackingStore store(temp.path() / "mlruns");
  const RunInfo run = store.create_run("0", "keys", 1, {});
  for (const std::string key : {"../escape", "bad:colon", "/absolute", "a//b", ""}) {
    EXPECT_THROW(store.log_batch(run.run_id, {{key, 1.0, 1, 0}}, {}, {}), MlflowError) << key;
  }
  EXPECT_THROW(store.log_batch(run.run_id, {}, {{"long", std::string(6001, 'x')}}, {}),
               MlflowError);
}

TEST(FileTrackingStore, WritesDatasetInputsLikeMlflow) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  FileTrackingStore store(root);
  const RunInfo run = store.create_run("0", "inputs", 1, {});
  DatasetInput input;
  input.dataset = {"ml-100k",    "0123456789abcdef0123456789abcdef",
                   "local",      "{\"uri\": \"/data/ml-100k\"}",
                   std::nullopt, "{\"fingerprint\": \"sha256:x\", \"split\": \"random\"}"};
  input.tags = {{"mlflow.data.context", "training"}};
  store.log_inputs(run.run_id, {input});

  // md5("ml-100k" + digest), as mlflow.store.tracking.file_store computes the data set id.
  const std::string dataset_id = "d6fe5e60f80c4d701493cfad76b018e4";
  EXPECT_EQ(read_file(root / "0" / "datasets" / dataset_id / "meta.yaml"),
            "digest: 0123456789abcdef0123456789abcdef\n"
            "name: ml-100k\n"
            "profile: '{\"fingerprint\": \"sha256:x\", \"split\": \"random\"}'\n"
            "schema: null\n"
            "source: '{\"uri\": \"/data/ml-100k\"}'\n"
            "source_type: local\n");
  const fs::path inputs = root / "0" / run.run_id / "inputs";
  ASSERT_TRUE(fs::is_directory(inputs));
  int count = 0;
  for (const auto& entry : fs::directory_iterator(inputs)) {
    ++count;
    EXPECT_EQ(entry.path().filename().string().size(), 32u);
    EXPECT_EQ(read_file(entry.path() / "meta.yaml"), "destination_id: " + dataset_id + "\n" +
                                                         "destination_type: RUN\n"
                                                         "source_id: " +
                                                         dataset_id + "\n" +
                                                         "source_type: DATASET\n"
                                                         "tags:\n"
                                                         "  mlflow.data.context: training\n");
  }
  EXPECT_EQ(count, 1);
}

TEST(FileTrackingStore, UpdateRunRewritesStatusAndEndTime) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  FileTrackingStore store(root);
  const RunInfo run = store.create_run("0", "update", 1700000000000, {});
  store.update_run(run.run_id, RunStatus::kKilled, 1700000005000);

  const std::string meta = read_file(root / "0" / run.run_id / "meta.yaml");
  EXPECT_NE(meta.find("status: 5\n"), std::string::npos);
  EXPECT_NE(meta.find("end_time: 1700000005000\n"), std::string::npos);
  EXPECT_EQ(meta.find("deleted_time"), std::string::npos);
  const tracking::Run read_back = store.get_run(run.run_id);
  EXPECT_EQ(read_back.info.status, RunStatus::kKilled);
  EXPECT_EQ(read_back.info.end_time_ms, 1700000005000);
}

TEST(FileTrackingStore, UnknownRunIsResourceDoesNotExist) {
  TempDirectory temp;
  FileTrackingStore store(temp.path() / "mlruns");
  try {
    store.get_run("0123456789abcdef0123456789abcdef");
    FAIL() << "an unknown run was found";
  } catch (const MlflowError& error) {
    EXPECT_EQ(error.error_code(), kResourceDoesNotExist);
  }
}

TEST(FileTrackingStore, LeavesNoTemporaryFiles) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  FileTrackingStore store(root);
  const RunInfo run = store.create_run("0", "clean", 1, {{"a", "b"}});
  store.log_batch(run.run_id, {{"m", 1.0, 1, 0}}, {{"p", "1"}}, {{"t", "x"}});
  store.update_run(run.run_id, RunStatus::kFinished, 2);
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace recsys::tracking
