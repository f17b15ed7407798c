// `recsys train` and `recsys register` name the same registration options alike, and the
// names `recsys register` used before still work without being shown.
#include <gtest/gtest.h>

#include <regex>

#include "recsys_process.hpp"
#include "tracking/test_util.hpp"
#include "train/train_test_support.hpp"

namespace recsys::testing {
namespace {

namespace fs = std::filesystem;

// True when `help` lists `option` as an option of its own, not as part of a longer name.
bool lists_option(const std::string& help, const std::string& option) {
  return std::regex_search(help, std::regex("\\s" + option + "(\\s|,|=)"));
}

TEST(OptionNames, TrainAndRegisterShareNames) {
  TempDirectory temp;
  const ProcessResult train = run_recsys({"train", "--help"}, temp.path());
  const ProcessResult register_help = run_recsys({"register", "--help"}, temp.path());
  ASSERT_EQ(train.exit_code, 0) << train.output;
  ASSERT_EQ(register_help.exit_code, 0) << register_help.output;

  for (const char* option :
       {"--registered-model", "--promotion-metric", "--force-promotion", "--tracking-uri"}) {
    EXPECT_TRUE(lists_option(train.output, option)) << option << "\n" << train.output;
    EXPECT_TRUE(lists_option(register_help.output, option)) << option << "\n"
                                                            << register_help.output;
  }
  for (const char* hidden : {"--name", "--metric", "--force"}) {
    EXPECT_FALSE(lists_option(register_help.output, hidden)) << hidden << " is still shown\n"
                                                             << register_help.output;
  }
}

TEST(OptionNames, ModelsListTakesRegisteredModel) {
  TempDirectory temp;
  const ProcessResult help = run_recsys({"models", "list", "--help"}, temp.path());
  ASSERT_EQ(help.exit_code, 0) << help.output;
  EXPECT_TRUE(lists_option(help.output, "--registered-model")) << help.output;
  EXPECT_FALSE(lists_option(help.output, "--name")) << help.output;
}

// Trains once into a file store, then registers the run under both spellings.
TEST(OptionNames, FormerRegisterNamesStillWork) {
  TempDirectory temp;
  const fs::path data =
      test::write_ml100k_release(temp.path(), test::planted_clusters(60, 45, 3, 0.5, 21));
  const std::string store = (temp.path() / "mlruns").string();
  const ProcessResult train = run_recsys(
      {"train", "--data", data.string(), "--model", "als", "--factors", "4", "--iterations", "2",
       "--out", (temp.path() / "model").string(), "--tracking-uri", store},
      temp.path());
  ASSERT_EQ(train.exit_code, 0) << train.output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(train.output, match, std::regex("mlflow run: ([0-9a-f]{32})")))
      << train.output;
  const std::string run_id = match[1];

  const ProcessResult former =
      run_recsys({"register", "--run-id", run_id, "--tracking-uri", store, "--name", "former",
                  "--metric", "recall_at_10", "--force"},
                 temp.path());
  EXPECT_EQ(former.exit_code, 0) << former.output;
  EXPECT_NE(former.output.find("registered former version 1"), std::string::npos) << former.output;

  const ProcessResult current =
      run_recsys({"register", "--run-id", run_id, "--tracking-uri", store, "--registered-model",
                  "current", "--promotion-metric", "recall_at_10", "--force-promotion"},
                 temp.path());
  EXPECT_EQ(current.exit_code, 0) << current.output;
  EXPECT_NE(current.output.find("registered current version 1"), std::string::npos)
      << current.output;

  const ProcessResult listed =
      run_recsys({"models", "list", "--name", "former", "--tracking-uri", store}, temp.path());
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("former"), std::string::npos) << listed.output;
  EXPECT_EQ(listed.output.find("current"), std::string::npos) << listed.output;

  const ProcessResult both = run_recsys({"register", "--run-id", run_id, "--tracking-uri", store,
                                         "--name", "a", "--registered-model", "b"},
                                        temp.path());
  EXPECT_NE(both.exit_code, 0) << "both spellings of one option were accepted";
}

// The file store's name rules apply before training, so a bad name costs no training time and
// leaves no run, model directory or store behind.
TEST(OptionNames, InvalidRegisteredModelFailsBeforeTraining) {
  TempDirectory temp;
  const fs::path data =
      test::write_ml100k_release(temp.path(), test::planted_clusters(60, 45, 3, 0.5, 21));
  const fs::path store = temp.path() / "mlruns";
  const fs::path model = temp.path() / "model";
  const ProcessResult train =
      run_recsys({"train", "--data", data.string(), "--model", "als", "--factors", "4",
                  "--iterations", "2", "--out", model.string(), "--tracking-uri", store.string(),
                  "--register", "--registered-model", "team/recommender"},
                 temp.path());
  EXPECT_EQ(train.exit_code, 1) << train.output;
  EXPECT_NE(train.output.find("invalid registered model name 'team/recommender'"),
            std::string::npos)
      << train.output;
  EXPECT_EQ(train.output.find("iteration"), std::string::npos) << train.output;
  EXPECT_FALSE(fs::exists(store));
  EXPECT_FALSE(fs::exists(model));
}

}  // namespace
}  // namespace recsys::testing
