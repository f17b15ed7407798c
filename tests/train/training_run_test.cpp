#include "train/training_run.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <csignal>

#include "core/error.hpp"
#include "data/loader.hpp"
#include "data/split.hpp"
#include "train/implicit_als.hpp"
#include "train/interrupt.hpp"
#include "train/model_directory.hpp"
#include "train_test_support.hpp"

namespace recsys::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Records every event; optionally raises a signal or throws at one iteration.
class RecordingObserver : public TrainingObserver {
 public:
  void on_start(const TrainingRunInfo& info) override {
    events.push_back("start");
    start = info;
  }
  void on_iteration(int step, const std::map<std::string, double>& metrics) override {
    events.push_back("iteration " + std::to_string(step));
    iteration_metrics.push_back(metrics);
    if (step == raise_at_step) {
      std::raise(signal_to_raise);
    }
    if (step == throw_at_step) {
      throw Error("tracking server unreachable");
    }
  }
  void on_success(const std::map<std::string, double>& metrics, const fs::path& model_dir,
                  const fs::path& evaluation_report) override {
    events.push_back("success");
    final_metrics = metrics;
    success_model_dir = model_dir;
    success_report = evaluation_report;
  }
  void on_failure(const std::string& error, bool was_killed) override {
    events.push_back("failure");
    failure_error = error;
    killed = was_killed;
  }

  int raise_at_step = -1;
  int signal_to_raise = SIGTERM;
  int throw_at_step = -1;
  std::vector<std::string> events;
  TrainingRunInfo start;
  std::vector<std::map<std::string, double>> iteration_metrics;
  std::map<std::string, double> final_metrics;
  fs::path success_model_dir;
  fs::path success_report;
  std::string failure_error;
  bool killed = false;
};

class TrainingRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = write_ml100k_release(dir_.path(), planted_clusters(60, 45, 3, 0.5, 21));
    options_.data = data_;
    options_.model = "als";
    options_.hyperparameters = {{"factors", 6}, {"regularization", 1.0}, {"iterations", 4}};
    options_.out = dir_.path() / "models" / "als";
  }

  TempDir dir_;
  fs::path data_;
  TrainingRunOptions options_;
};

TEST_F(TrainingRunTest, WritesCompleteModelDirectory) {
  RecordingObserver observer;
  const TrainingRunResult result = run_training(options_, &observer);

  EXPECT_EQ(result.model_dir, options_.out);
  for (const char* file : {"model.json", "user_embeddings.npy", "movie_embeddings.npy",
                           "id_maps.json", "train_ratings.npy", "metrics.json", "evaluation.json",
                           "catalog/movies.json", "catalog/users.json", "catalog/genres.json"}) {
    EXPECT_TRUE(fs::exists(options_.out / file)) << file;
  }

  const ModelDirectory model = read_model_directory(options_.out);
  EXPECT_EQ(model.metadata.model_type, "als");
  EXPECT_EQ(model.metadata.factors, 6);
  EXPECT_EQ(model.metadata.dimension, 6);
  EXPECT_EQ(model.metadata.split, "u1");
  EXPECT_EQ(model.metadata.dataset_name, "ml-100k");
  EXPECT_THAT(model.metadata.dataset_fingerprint, HasSubstr("sha256:"));
  EXPECT_FALSE(model.metadata.git_commit.empty());
  EXPECT_FALSE(model.metadata.created_at.empty());
  EXPECT_EQ(model.metadata.hyperparameters.at("alpha"), ImplicitAlsOptions{}.alpha);
  EXPECT_EQ(model.metadata.hyperparameters.at("iterations"), 4);
  EXPECT_EQ(model.embeddings.users.rows(), 60);
  EXPECT_EQ(model.embeddings.movies.rows(), 45);
  EXPECT_EQ(model.users.size(), 60U);
  EXPECT_EQ(model.movies.size(), 45U);
  EXPECT_EQ(model.genres.size(), 3U);
  EXPECT_GT(model.train_ratings.size(), 0U);
  EXPECT_GT(model.metrics.at("ndcg_at_10"), 0.0);
  EXPECT_EQ(model.metrics, result.metrics);
  EXPECT_EQ(model.metrics.count("rmse"), 0U);

  // The model ranks its users' planted cluster first.
  EXPECT_GT(result.metrics.at("recall_at_10"), 0.9);
}

TEST_F(TrainingRunTest, ReportsEveryEventToObserver) {
  RecordingObserver observer;
  options_.validation_fraction = 0.2;
  run_training(options_, &observer);

  EXPECT_EQ(observer.events, (std::vector<std::string>{"start", "iteration 1", "iteration 2",
                                                       "iteration 3", "iteration 4", "success"}));
  EXPECT_EQ(observer.start.params.at("factors"), "6");
  EXPECT_EQ(observer.start.params.at("alpha"), nlohmann::json(ImplicitAlsOptions{}.alpha).dump());
  EXPECT_EQ(observer.start.params.at("solver"), "cg");
  EXPECT_EQ(observer.start.params.at("model"), "als");
  EXPECT_EQ(observer.start.params.at("k"), "10");
  EXPECT_EQ(observer.start.split, "u1");
  EXPECT_EQ(observer.start.dataset_name, "ml-100k");
  for (const char* tag :
       {"git_commit", "software_version", "host", "dataset_name", "dataset_fingerprint", "split"}) {
    EXPECT_EQ(observer.start.tags.count(tag), 1U) << tag;
  }
  ASSERT_EQ(observer.iteration_metrics.size(), 4U);
  EXPECT_EQ(observer.iteration_metrics[0].count("train_loss"), 1U);
  EXPECT_EQ(observer.iteration_metrics[0].count("validation_ndcg_at_10"), 1U);
  EXPECT_EQ(observer.success_model_dir, options_.out);
  EXPECT_EQ(observer.success_report, options_.out / "evaluation.json");
  EXPECT_GT(observer.final_metrics.at("ndcg_at_10"), 0.0);
}

TEST_F(TrainingRunTest, InterruptionLeavesNothingAndReportsKilled) {
  for (int signal_number : {SIGTERM, SIGINT}) {
    RecordingObserver observer;
    observer.raise_at_step = 2;
    observer.signal_to_raise = signal_number;
    try {
      run_training(options_, &observer);
      FAIL() << "expected TrainingInterrupted";
    } catch (const TrainingInterrupted& e) {
      EXPECT_EQ(e.signal_number(), signal_number);
    }
    EXPECT_EQ(observer.events.back(), "failure");
    EXPECT_EQ(observer.events.size(), 4U);  // start, iteration 1, iteration 2, failure
    EXPECT_TRUE(observer.killed);
    EXPECT_THAT(observer.failure_error, HasSubstr("interrupted"));
    EXPECT_FALSE(fs::exists(options_.out));
    EXPECT_TRUE(!fs::exists(dir_.path() / "models") || fs::is_empty(dir_.path() / "models"));
  }
}

TEST_F(TrainingRunTest, ObserverErrorFailsRun) {
  RecordingObserver observer;
  observer.throw_at_step = 1;
  EXPECT_THROW(run_training(options_, &observer), Error);
  EXPECT_EQ(observer.events.back(), "failure");
  EXPECT_FALSE(observer.killed);
  EXPECT_THAT(observer.failure_error, HasSubstr("tracking server unreachable"));
  EXPECT_FALSE(fs::exists(options_.out));
}

TEST_F(TrainingRunTest, ExistingOutputIsRejectedBeforeTraining) {
  fs::create_directories(options_.out);
  write_file(options_.out / "keep.txt", "mine");
  RecordingObserver observer;
  try {
    run_training(options_, &observer);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("already exists"));
  }
  EXPECT_TRUE(observer.events.empty());
  EXPECT_TRUE(fs::exists(options_.out / "keep.txt"));
  EXPECT_EQ(std::distance(fs::directory_iterator(options_.out), fs::directory_iterator()), 1);
}

TEST_F(TrainingRunTest, UnwritableOutputLeavesNothing) {
  // A regular file where a folder is expected cannot be written, even by root.
  write_file(dir_.path() / "blocker", "file");
  options_.out = dir_.path() / "blocker" / "model";
  RecordingObserver observer;
  EXPECT_THROW(run_training(options_, &observer), Error);
  EXPECT_EQ(observer.events.back(), "failure");
  EXPECT_FALSE(observer.killed);
  EXPECT_TRUE(fs::is_regular_file(dir_.path() / "blocker"));
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::AnyOf("ml-100k", "blocker"));
  }
}

TEST_F(TrainingRunTest, InvalidHyperparameterFailsBeforeLoading) {
  options_.hyperparameters = {{"factors", -3}};
  options_.data = dir_.path() / "missing";
  try {
    run_training(options_, nullptr);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("factors"));
  }
}

TEST_F(TrainingRunTest, ThresholdAboveScaleFailsBeforeStart) {
  options_.evaluation.relevance_threshold = 99.0F;
  RecordingObserver observer;
  try {
    run_training(options_, &observer);
    FAIL() << "accepted threshold 99";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("the relevance threshold 99 is above the highest rating 5"));
  }
  EXPECT_TRUE(observer.events.empty());
  EXPECT_FALSE(fs::exists(options_.out));
}

TEST_F(TrainingRunTest, NanThresholdFailsBeforeLoading) {
  options_.evaluation.relevance_threshold = std::nanf("");
  options_.data = dir_.path() / "missing";
  try {
    run_training(options_, nullptr);
    FAIL() << "accepted threshold nan";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("invalid relevance threshold nan"));
  }
}

TEST_F(TrainingRunTest, DimensionAbovePgvectorLimitFailsBeforeLoading) {
  options_.data = dir_.path() / "missing";
  for (const auto& [model, factors] : {std::pair{"als", 2001}, std::pair{"mf", 1999}}) {
    options_.model = model;
    options_.hyperparameters = {{"factors", factors}};
    try {
      run_training(options_, nullptr);
      FAIL() << model << " accepted " << factors << " factors";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("factors")) << model;
      EXPECT_THAT(e.what(), HasSubstr(std::to_string(factors))) << model;
    }
  }
}

TEST_F(TrainingRunTest, NanHyperparameterIsNamedInError) {
  options_.hyperparameters = {{"alpha", std::nan("")}};
  try {
    run_training(options_, nullptr);
    FAIL() << "accepted alpha nan";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("nan is out of range"));
  }
}

TEST_F(TrainingRunTest, PopularityRunsWithoutOutput) {
  options_.model = "popularity";
  options_.hyperparameters = nlohmann::json::object();
  options_.out.clear();
  const TrainingRunResult popularity = run_training(options_, nullptr);
  EXPECT_TRUE(popularity.model_dir.empty());
  EXPECT_GT(popularity.metrics.at("ndcg_at_10"), 0.0);
}

// The published embeddings must reproduce the evaluated predictions: recompute the test RMSE
// from the written float32 files by inner products and compare it with metrics.json.
TEST_F(TrainingRunTest, MfDirectoryReproducesTestRmse) {
  for (const char* solver : {"gibbs", "als"}) {
    SCOPED_TRACE(solver);
    options_.model = "mf";
    options_.hyperparameters = {
        {"solver", solver}, {"factors", 4}, {"iterations", 3}, {"burn_in", 5}, {"samples", 10}};
    options_.out = dir_.path() / "models" / (std::string("mf-") + solver);
    const TrainingRunResult mf = run_training(options_, nullptr);
    const ModelDirectory model = read_model_directory(options_.out);
    EXPECT_EQ(model.metadata.dimension, 6);
    EXPECT_EQ(model.metadata.hyperparameters.at("solver"), solver);

    LoadOptions load;
    load.path = data_;
    const Dataset dataset = load_dataset(load);
    SplitOptions split;
    split.method = "u1";
    const Split u1 = make_split(dataset, split);
    double sum = 0.0;
    for (const Rating& rating : u1.train) {
      sum += rating.rating;
    }
    ASSERT_TRUE(model.metadata.mean_rating.has_value());
    EXPECT_NEAR(*model.metadata.mean_rating, sum / static_cast<double>(u1.train.size()), 1e-6);

    const Embeddings& e = model.embeddings;
    auto row_of = [](const std::vector<std::int64_t>& ids, std::int64_t id) {
      return static_cast<Eigen::Index>(std::lower_bound(ids.begin(), ids.end(), id) - ids.begin());
    };
    double squared_error = 0.0;
    for (const Rating& rating : u1.test) {
      const Eigen::Index u = row_of(e.user_ids, rating.user_id);
      const Eigen::Index i = row_of(e.movie_ids, rating.movie_id);
      const double prediction = e.users.row(u).dot(e.movies.row(i));
      squared_error += (prediction - rating.rating) * (prediction - rating.rating);
    }
    ASSERT_FALSE(u1.test.empty());
    EXPECT_NEAR(std::sqrt(squared_error / static_cast<double>(u1.test.size())),
                mf.metrics.at("rmse"), 1e-9);
  }
}

TEST_F(TrainingRunTest, FoldsGiveMeanAndFirstModel) {
  options_.folds = {"u1", "u2"};
  RecordingObserver observer;
  const TrainingRunResult result = run_training(options_, &observer);

  ASSERT_EQ(result.folds.size(), 2U);
  EXPECT_EQ(result.folds[0].split, "u1");
  EXPECT_EQ(result.folds[1].split, "u2");
  const double u1 = result.folds[0].evaluation.metrics.at("ndcg_at_10");
  const double u2 = result.folds[1].evaluation.metrics.at("ndcg_at_10");
  EXPECT_NEAR(result.metrics.at("ndcg_at_10"), (u1 + u2) / 2.0, 1e-12);
  EXPECT_NEAR(result.standard_deviation.at("ndcg_at_10"), std::abs(u1 - u2) / std::sqrt(2.0),
              1e-12);
  EXPECT_EQ(observer.events.size(), 10U);  // start, 4 + 4 iterations, success
  EXPECT_EQ(observer.start.split, "u1,u2");
  EXPECT_EQ(observer.final_metrics.count("ndcg_at_10_std"), 1U);

  const ModelDirectory model = read_model_directory(options_.out);
  EXPECT_EQ(model.metadata.split, "u1");
  EXPECT_EQ(model.metrics, result.folds[0].evaluation.metrics);
  EXPECT_EQ(model.evaluation.at("cross_validation").at("folds").size(), 2U);
}

}  // namespace
}  // namespace recsys::test
