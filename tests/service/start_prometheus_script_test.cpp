#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "child_process.hpp"

namespace recsys::testing {
namespace {

const std::string kScript = std::string(RECSYS_SOURCE_DIR) + "/scripts/start-prometheus.sh";

TEST(StartPrometheusScript, HelpPrintsUsage) {
  for (const auto& arguments : std::vector<std::vector<std::string>>{
           {"--help"}, {"-h"}, {"start", "--help"}, {"status", "--help"}}) {
    std::vector<std::string> argv = {kScript};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    auto result = run_command(argv);
    EXPECT_EQ(result.exit_code, 0) << arguments[0] << ": " << result.output;
    EXPECT_NE(result.output.find("Usage: scripts/start-prometheus.sh [start]"), std::string::npos)
        << result.output;
  }
}

// No case reaches Prometheus: each fails while parsing the command line.
TEST(StartPrometheusScript, UnknownArgumentsExitWithUsage) {
  for (const auto& arguments : std::vector<std::vector<std::string>>{{"--bogus"},
                                                                     {"frobnicate"},
                                                                     {"start", "--bogus"},
                                                                     {"start", "--port"},
                                                                     {"start", "--port", "x"},
                                                                     {"--target", "no-port"}}) {
    std::vector<std::string> argv = {kScript};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    auto result = run_command(argv);
    EXPECT_EQ(result.exit_code, 2) << arguments[0] << ": " << result.output;
    EXPECT_NE(result.output.find("Usage: scripts/start-prometheus.sh"), std::string::npos)
        << result.output;
  }
}

}  // namespace
}  // namespace recsys::testing
