#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "postgres_environment.hpp"

namespace recsys::testing {
namespace {

struct ScriptResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr.
};

// Runs `command` in a shell with stderr merged into stdout.
ScriptResult run_shell(const std::string& command) {
  ScriptResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    result.output += buffer;
  }
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

const std::string kScript = std::string(RECSYS_SOURCE_DIR) + "/scripts/local-db.sh";

// Returns the environment assignments that point the script at the suite's cluster.
std::string cluster_environment() {
  std::smatch port;
  const std::string& url = PostgresEnvironment::database_url();
  std::regex_search(url, port, std::regex(R"(:(\d+)/)"));
  return "RECSYS_PG_DIR=" + PostgresEnvironment::cluster_directory().string() +
         " RECSYS_PG_PORT=" + port[1].str() + " ";
}

TEST(LocalDbScript, HelpPrintsUsage) {
  for (const char* command : {" --help", " -h", " url --help"}) {
    auto result = run_shell(kScript + command);
    EXPECT_EQ(result.exit_code, 0) << command << ": " << result.output;
    EXPECT_NE(result.output.find("Usage: scripts/local-db.sh start|stop|status|url"),
              std::string::npos)
        << result.output;
  }
}

TEST(LocalDbScript, UnknownArgumentsExitWithUsage) {
  for (const char* command : {" --bogus", " frobnicate", "", " start --bogus", " stop --masked"}) {
    auto result = run_shell(kScript + command);
    EXPECT_EQ(result.exit_code, 2) << "'" << command << "': " << result.output;
    EXPECT_NE(result.output.find("Usage: scripts/local-db.sh"), std::string::npos) << result.output;
  }
}

class LocalDbPassword : public ::testing::Test {
 protected:
  void SetUp() override {
    if (PostgresEnvironment::cluster_directory().empty()) {
      GTEST_SKIP() << "RECSYS_TEST_DATABASE_URL names an external server, not a local-db.sh "
                      "cluster";
    }
    std::ifstream(PostgresEnvironment::cluster_directory() / "password") >> password_;
    ASSERT_FALSE(password_.empty());
  }

  std::string password_;
};

TEST_F(LocalDbPassword, MaskedUrlHidesPassword) {
  auto masked = run_shell(cluster_environment() + kScript + " url --masked");
  EXPECT_EQ(masked.exit_code, 0) << masked.output;
  EXPECT_NE(masked.output.find("postgresql://recsys:***@127.0.0.1:"), std::string::npos)
      << masked.output;
  EXPECT_EQ(masked.output.find(password_), std::string::npos) << masked.output;

  auto full = run_shell(cluster_environment() + kScript + " url");
  EXPECT_EQ(full.output, PostgresEnvironment::database_url() + "\n");
}

// On a terminal (here the pseudo-terminal of script(1)), start shows the URL masked.
TEST_F(LocalDbPassword, StartOnTerminalHidesPassword) {
  auto result = run_shell("script -qec '" + cluster_environment() + kScript + " start' /dev/null");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("already running"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("postgresql://recsys:***@127.0.0.1:"), std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find(password_), std::string::npos) << result.output;
}

// start runs psql for every command. A psql that logs its arguments shows that none of them
// contains the password, which any local user could read in /proc/PID/cmdline.
TEST_F(LocalDbPassword, StartKeepsPasswordOffPsqlCommandLine) {
  namespace fs = std::filesystem;
  std::string real = run_shell("ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1").output;
  real.erase(real.find_last_not_of('\n') + 1);
  const fs::path bin = fs::temp_directory_path() / ("local-db-argv-" + std::to_string(getpid()));
  const fs::path log = bin / "psql-arguments.log";
  fs::remove_all(bin);
  fs::create_directories(bin);
  for (const auto& program : fs::directory_iterator(real)) {
    if (program.path().filename() != "psql") {
      fs::create_symlink(program.path(), bin / program.path().filename());
    }
  }
  std::ofstream(bin / "psql") << "#!/bin/sh\nprintf '%s\\n' \"$*\" >>" << log.string() << "\nexec "
                              << real << "/psql \"$@\"\n";
  std::ofstream(log) << "";
  // The server user, not root, runs psql when the tests run as root.
  fs::permissions(bin, fs::perms::all);
  fs::permissions(bin / "psql", fs::perms::owner_all | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read |
                                    fs::perms::others_exec);
  fs::permissions(log, fs::perms::all);

  auto result =
      run_shell(cluster_environment() + "RECSYS_PG_BIN=" + bin.string() + " " + kScript + " start");
  std::ifstream in(log);
  const std::string arguments((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
  fs::remove_all(bin);

  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find(PostgresEnvironment::database_url() + "\n"), std::string::npos)
      << result.output;
  EXPECT_NE(arguments.find("-d postgres"), std::string::npos) << arguments;
  EXPECT_EQ(arguments.find(password_), std::string::npos) << arguments;
}

}  // namespace
}  // namespace recsys::testing
