// Every script under scripts/ prints its usage for --help and rejects an unknown argument
// with exit status 2 before it does anything, so a mistyped option never starts a build, an
// install or the demo.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "containers/shell_command.hpp"

namespace recsys::testing {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path kScripts = std::filesystem::path(RECSYS_SOURCE_DIR) / "scripts";

std::vector<std::filesystem::path> scripts() {
  std::vector<std::filesystem::path> found;
  for (const auto& entry : std::filesystem::directory_iterator(kScripts)) {
    if (entry.path().extension() == ".sh") {
      found.push_back(entry.path());
    }
  }
  return found;
}

TEST(ScriptsHelp, EveryScriptPrintsUsage) {
  ASSERT_GE(scripts().size(), 9U);
  for (const auto& script : scripts()) {
    const ShellResult result = run_shell(shell_quote(script.string()) + " --help");
    EXPECT_EQ(result.exit_code, 0) << script << ":\n" << result.output;
    EXPECT_GE(result.output.size(), 80U) << script << ":\n" << result.output;
  }
}

TEST(ScriptsHelp, UnknownArgumentExitsTwo) {
  for (const auto& script : scripts()) {
    const ShellResult result = run_shell(shell_quote(script.string()) + " --no-such-option");
    EXPECT_EQ(result.exit_code, 2) << script << ":\n" << result.output;
    EXPECT_THAT(result.output, HasSubstr("--no-such-option")) << script;
  }
}

TEST(ScriptsHelp, DemoHelpListsItsVariables) {
  const ShellResult result = run_shell(shell_quote((kScripts / "demo.sh").string()) + " --help");
  EXPECT_THAT(result.output, HasSubstr("RECSYS_PORT"));
  EXPECT_THAT(result.output, HasSubstr("DEMO_PROMETHEUS_PORT"));
}

}  // namespace
}  // namespace recsys::testing
