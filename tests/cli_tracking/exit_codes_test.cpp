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

TEST(ExitCodes, ReportedErrorExitsOne) {
  TempDirectory temp;
  const ProcessResult result =
      run_recsys({"data", "info", "--data", (temp.path() / "missing").string()}, temp.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
}

}  // namespace
}  // namespace recsys::testing
