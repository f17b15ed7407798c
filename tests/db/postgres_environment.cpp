#include "postgres_environment.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace recsys::testing {

namespace {

std::string g_database_url;
std::filesystem::path g_cluster_directory;

// Returns a TCP port on 127.0.0.1 that is free now (the kernel picks it).
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) {
      close(fd);
    }
    return 0;
  }
  int port = ntohs(address.sin_port);
  close(fd);
  return port;
}

// Runs `command` in a shell and returns its standard output; fails the setup on error.
std::string run(const std::string& command, int& status) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    status = -1;
    return output;
  }
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    output += buffer;
  }
  status = pclose(pipe);
  return output;
}

std::string last_line(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && trimmed.back() == '\n') {
    trimmed.pop_back();
  }
  return trimmed.substr(trimmed.rfind('\n') == std::string::npos ? 0 : trimmed.rfind('\n') + 1);
}

class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (const char* url = std::getenv("RECSYS_TEST_DATABASE_URL"); url != nullptr && *url) {
      g_database_url = url;
      return;
    }

    char pattern[] = "/tmp/recsys-db-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr) << "cannot create a temporary directory";
    g_cluster_directory = pattern;
    int port = free_port();
    while (port == 55432) {
      port = free_port();  // The tests must not take the script's default port.
    }
    ASSERT_GT(port, 0) << "no free TCP port on 127.0.0.1";
    script_environment_ = "RECSYS_PG_DIR=" + g_cluster_directory.string() +
                          " RECSYS_PG_PORT=" + std::to_string(port) + " " + RECSYS_SOURCE_DIR +
                          "/scripts/local-db.sh";

    int status = 0;
    // The script's messages go to stderr and the URL, last, to stdout.
    std::string output = run(script_environment_ + " start 2>&1", status);
    ASSERT_EQ(status, 0) << "scripts/local-db.sh start failed:\n" << output;
    g_database_url = last_line(output);
    ASSERT_EQ(g_database_url.rfind("postgresql://", 0), 0U) << output;

    // A second start must notice the running cluster and succeed.
    output = run(script_environment_ + " start 2>&1", status);
    ASSERT_EQ(status, 0) << output;
    ASSERT_NE(output.find("already running"), std::string::npos) << output;
    ASSERT_EQ(last_line(output), g_database_url);
  }

  void TearDown() override {
    if (g_cluster_directory.empty()) {
      return;
    }
    std::ifstream pid_file(g_cluster_directory / "data" / "postmaster.pid");
    pid_t pid = 0;
    if (pid_file >> pid && pid > 0) {
      // SIGINT is PostgreSQL's fast shutdown: it rolls back open transactions and exits.
      kill(pid, SIGINT);
      for (int i = 0; i < 300 && kill(pid, 0) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      EXPECT_NE(kill(pid, 0), 0) << "the postmaster " << pid << " did not stop";
    }
    std::error_code error;
    std::filesystem::remove_all(g_cluster_directory, error);
  }

 private:
  std::string script_environment_;
};

const auto* const g_environment = ::testing::AddGlobalTestEnvironment(new Environment);

}  // namespace

const std::string& PostgresEnvironment::database_url() {
  return g_database_url;
}

const std::filesystem::path& PostgresEnvironment::cluster_directory() {
  return g_cluster_directory;
}

}  // namespace recsys::testing
