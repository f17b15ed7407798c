// docker-compose.yml and the Dockerfile checked by packaged linters, since no Docker engine
// runs on the test machines: dclint validates the Compose file against the Compose
// specification's JSON schema and its style rules, dockerfilelint checks the Dockerfile.
// scripts/install-linters.sh installs both into tools/node_modules.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "containers/shell_command.hpp"
#include "source_dir.hpp"

namespace recsys::testing {
namespace {

const std::filesystem::path kLinterDir = kSourceDir / "tools" / "node_modules" / ".bin";

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The linter's path, or "" after marking the test skipped.
std::string linter(const std::string& name) {
  auto path = kLinterDir / name;
  if (!std::filesystem::exists(path)) {
    return "";
  }
  return path.string();
}

#define REQUIRE_LINTER(variable, name)                                          \
  const std::string variable = linter(name);                                    \
  if (variable.empty()) {                                                       \
    GTEST_SKIP() << name << " is not installed in " << kLinterDir.string()      \
                 << ": run scripts/install-linters.sh (needs Node.js and npm)"; \
  }

TEST(Linters, ComposeFilePassesDclint) {
  REQUIRE_LINTER(dclint, "dclint");
  auto result = run_shell(shell_quote(dclint) + " " +
                          shell_quote((kSourceDir / "docker-compose.yml").string()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

// The schema check is live: a depends_on condition that the Compose specification does not
// define fails the lint.
TEST(Linters, DclintRejectsInvalidCompose) {
  REQUIRE_LINTER(dclint, "dclint");
  std::string compose = read_text(kSourceDir / "docker-compose.yml");
  auto at = compose.find("condition: service_completed_successfully");
  ASSERT_NE(at, std::string::npos);
  compose.replace(at, std::string("condition: service_completed_successfully").size(),
                  "condition: service_finished");

  auto directory = std::filesystem::temp_directory_path() / "recsys-dclint-test";
  std::filesystem::create_directories(directory);
  auto file = directory / "docker-compose.yml";
  std::ofstream(file) << compose;
  auto result = run_shell(shell_quote(dclint) + " " + shell_quote(file.string()));
  std::filesystem::remove_all(directory);

  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("invalid-schema"), std::string::npos) << result.output;
}

TEST(Linters, DockerfilePassesDockerfilelint) {
  REQUIRE_LINTER(dockerfilelint, "dockerfilelint");
  auto result = run_shell(shell_quote(dockerfilelint) + " " +
                          shell_quote((kSourceDir / "Dockerfile").string()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("Issues: None found"), std::string::npos) << result.output;
}

TEST(Linters, DockerfilelintRejectsBrokenDockerfile) {
  REQUIRE_LINTER(dockerfilelint, "dockerfilelint");
  auto directory = std::filesystem::temp_directory_path() / "recsys-dockerfilelint-test";
  std::filesystem::create_directories(directory);
  auto file = directory / "Dockerfile";
  std::ofstream(file) << read_text(kSourceDir / "Dockerfile") << "\nEXPOSE not-a-port\n";
  auto result = run_shell(shell_quote(dockerfilelint) + " " + shell_quote(file.string()));
  std::filesystem::remove_all(directory);
  EXPECT_NE(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace recsys::testing
