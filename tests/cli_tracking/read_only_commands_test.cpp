// Commands that only read the model registry leave no file store behind, and report a
// tracking URI that cannot be a store.
#include <gtest/gtest.h>

#include <fstream>

#include "recsys_process.hpp"
#include "tracking/test_util.hpp"

namespace recsys::testing {
namespace {

namespace fs = std::filesystem;

TEST(ReadOnlyCommands, ModelsListCreatesNoStore) {
  TempDirectory temp;

  const ProcessResult result = run_recsys({"models", "list"}, temp.path());

  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("no registered models in ./mlruns"), std::string::npos)
      << result.output;
  EXPECT_FALSE(fs::exists(temp.path() / "mlruns")) << "models list created ./mlruns";
}

TEST(ReadOnlyCommands, ModelsListOfMissingDirectoryCreatesNothing) {
  TempDirectory temp;
  const fs::path store = temp.path() / "elsewhere" / "mlruns";

  const ProcessResult result =
      run_recsys({"models", "list", "--registered-model", "movielens-recommender", "--tracking-uri",
                  store.string()},
                 temp.path());

  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("the file store " + store.string() + " does not exist"),
            std::string::npos)
      << result.output;
  EXPECT_FALSE(fs::exists(temp.path() / "elsewhere"));
}

TEST(ReadOnlyCommands, ModelsDownloadCreatesNoStore) {
  TempDirectory temp;

  const ProcessResult result =
      run_recsys({"models", "download", "models:/movielens-recommender@champion", "--out", "model"},
                 temp.path());

  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("Registered Model with name=movielens-recommender not found"),
            std::string::npos)
      << result.output;
  EXPECT_FALSE(fs::exists(temp.path() / "mlruns")) << "models download created ./mlruns";
  EXPECT_FALSE(fs::exists(temp.path() / "model"));
}

TEST(ReadOnlyCommands, StoreThatIsFileIsClearError) {
  TempDirectory temp;
  const fs::path file = temp.path() / "mlruns";
  std::ofstream(file) << "not a store";

  const ProcessResult result =
      run_recsys({"models", "list", "--tracking-uri", file.string()}, temp.path());

  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find(file.string() + " is not a directory"), std::string::npos)
      << result.output;
}

TEST(ReadOnlyCommands, UnsupportedUriIsClearError) {
  TempDirectory temp;

  const ProcessResult result =
      run_recsys({"models", "list", "--tracking-uri", "ftp://127.0.0.1/mlruns"}, temp.path());

  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("unsupported tracking URI 'ftp://127.0.0.1/mlruns'"),
            std::string::npos)
      << result.output;
  EXPECT_FALSE(fs::exists(temp.path() / "mlruns"));
}

}  // namespace
}  // namespace recsys::testing
