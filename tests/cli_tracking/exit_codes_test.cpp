// The exit statuses that README.md documents for recsys: 0 for success and --help, 1 for a
// reported error, 2 for an invalid command line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "recsys_process.hpp"
#include "tracking/test_util.hpp"

namespace recsys::testing {
namespace {

using ::testing::HasSubstr;

TEST(ExitCodes, HelpExitsZero) {
  TempDirectory temp;
  const ProcessResult result = run_recsys({"train", "--help"}, temp.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(ExitCodes, UnknownOptionExitsTwo) {
  TempDirectory temp;
  const ProcessResult result = run_recsys({"train", "--no-such-option"}, temp.path());
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("--no-such-option"));
}

TEST(ExitCodes, MistypedCommandIsNamed) {
  TempDirectory temp;
  const ProcessResult top = run_recsys({"trian"}, temp.path());
  EXPECT_EQ(top.exit_code, 2) << top.output;
  EXPECT_THAT(top.output, HasSubstr("unknown command \"trian\": run recsys --help"));

  const ProcessResult nested = run_recsys({"models", "lst"}, temp.path());
  EXPECT_EQ(nested.exit_code, 2) << nested.output;
  EXPECT_THAT(nested.output, HasSubstr("unknown command \"lst\": run recsys models --help"));
}

// CLI::Range alone lets NaN through; each option also rejects infinities and negatives.
TEST(ExitCodes, NonFiniteFloatingPointOptionsExitTwo) {
  TempDirectory temp;
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"serve", "--reload-interval"},
        std::vector<std::string>{"db", "check-recall", "--min-recall"},
        std::vector<std::string>{"register", "--run-id", "0123", "--timeout"}}) {
    for (const std::string value : {"nan", "NaN", "inf", "-inf", "-1", "1e999"}) {
      std::vector<std::string> arguments(command.begin(), command.end() - 1);
      arguments.push_back(command.back() + "=" + value);
      const ProcessResult result = run_recsys(arguments, temp.path());
      EXPECT_EQ(result.exit_code, 2) << command.back() << " " << value << ": " << result.output;
      EXPECT_THAT(result.output, HasSubstr(command.back()));
      EXPECT_THAT(result.output, HasSubstr("Value " + value + " is not a finite number in"));
    }
  }
}

TEST(ExitCodes, ReportedErrorExitsOne) {
  TempDirectory temp;
  const ProcessResult result =
      run_recsys({"data", "info", "--data", (temp.path() / "missing").string()}, temp.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
}

TEST(ExitCodes, RepeatedOrEmptyFoldsAreRejected) {
  TempDirectory temp;
  const ProcessResult repeated =
      run_recsys({"train", "--no-tracking", "--folds", "u1,u1"}, temp.path());
  EXPECT_EQ(repeated.exit_code, 1) << repeated.output;
  EXPECT_THAT(repeated.output, HasSubstr("split u1 appears twice"));

  const ProcessResult empty = run_recsys({"train", "--no-tracking", "--folds", ","}, temp.path());
  EXPECT_EQ(empty.exit_code, 1) << empty.output;
  EXPECT_THAT(empty.output, HasSubstr("it has an empty split"));
}

}  // namespace
}  // namespace recsys::testing
