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

// The target and port reach prometheus.yml through sed: characters that sed or YAML would
// read otherwise, and ports outside 1..65535, stop at the command line.
TEST(StartPrometheusScript, RejectsUnsafeTargetAndPort) {
  for (const auto& arguments : std::vector<std::vector<std::string>>{{"--target", "h&x:19080"},
                                                                     {"--target", "a#b:19080"},
                                                                     {"--target", "a/b:19080"},
                                                                     {"--target", "a b:19080"},
                                                                     {"--target", "[::1:19080"},
                                                                     {"--target", ":19080"},
                                                                     {"--target", "host:0"},
                                                                     {"--target", "host:65536"},
                                                                     {"--port", "99999"},
                                                                     {"--port", "0"}}) {
    std::vector<std::string> argv = {kScript, "start"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    auto result = run_command(argv);
    EXPECT_EQ(result.exit_code, 2) << arguments[1] << ": " << result.output;
    EXPECT_NE(result.output.find("invalid " + arguments[0] + " '" + arguments[1] + "'"),
              std::string::npos)
        << result.output;
  }
}

// status parses the same options; with no Prometheus started it exits 3, not 2.
TEST(StartPrometheusScript, AcceptsHostNamesAndBracketedIpv6) {
  const std::string directory =
      "RECSYS_PROMETHEUS_DIR=" + ::testing::TempDir() + "start-prometheus-none";
  for (const auto& arguments : std::vector<std::vector<std::string>>{
           {"--target", "[::1]:8080"}, {"--target", "recsys-api.local:65535"}, {"--port", "1"}}) {
    std::vector<std::string> argv = {"/usr/bin/env", directory, kScript, "status"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    auto result = run_command(argv);
    EXPECT_EQ(result.exit_code, 3) << arguments[1] << ": " << result.output;
  }
}

}  // namespace
}  // namespace recsys::testing
