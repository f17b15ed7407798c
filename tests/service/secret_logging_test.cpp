#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "service_environment.hpp"

namespace recsys::testing {
namespace {

// Returns the password in a postgresql://user:password@host URL, "" when it has none.
std::string password_of(const std::string& url) {
  std::smatch match;
  if (!std::regex_search(url, match, std::regex(R"(^postgresql://[^:/@]*:([^@]+)@)"))) {
    return "";
  }
  return match[1].str();
}

// Returns `url` with its port replaced by `port`.
std::string with_port(const std::string& url, int port) {
  return std::regex_replace(url, std::regex(R"(@([^:/]+):\d+/)"),
                            "@$1:" + std::to_string(port) + "/");
}

// GETs `path` until it returns `status`; false after `seconds`.
bool wait_for_status(httplib::Client& http, const std::string& path, int status, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (auto result = http.Get(path); result && result->status == status) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// `recsys publish` at the most verbose log level, with the URL in DATABASE_URL and in
// --database-url, and against a port without a server, never prints the password.
TEST(SecretLogging, PublishNeverPrintsThePassword) {
  auto& environment = ServiceEnvironment::get();
  const std::string url = environment.database_url();
  const std::string password = password_of(url);
  ASSERT_FALSE(password.empty()) << "the test cluster's URL has no password: " << url;
  auto model = environment.model_directory("als");

  auto from_environment =
      run_command({"/usr/bin/env", "DATABASE_URL=" + url, recsys_binary(), "--log-level", "trace",
                   "publish", "--model-dir", model.string(), "--model-name", kModelName,
                   "--model-version", "secret-check", "--keep", "1"});
  EXPECT_EQ(from_environment.exit_code, 0) << from_environment.output;
  EXPECT_EQ(from_environment.output.find(password), std::string::npos) << from_environment.output;

  auto from_option = run_command(
      {recsys_binary(), "--log-level", "trace", "publish", "--database-url", url, "--rollback"});
  EXPECT_EQ(from_option.output.find(password), std::string::npos) << from_option.output;

  auto unreachable =
      run_command({recsys_binary(), "--log-level", "trace", "publish", "--database-url",
                   with_port(url, free_loopback_port()), "--model-dir", model.string()});
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.output;
  EXPECT_NE(unreachable.output.find("recsys:***@"), std::string::npos) << unreachable.output;
  EXPECT_EQ(unreachable.output.find(password), std::string::npos) << unreachable.output;
}

// `recsys serve` at the most verbose log level, through start, requests, a database restart
// and shutdown, never logs the password.
TEST(SecretLogging, ServeNeverLogsThePassword) {
  auto& environment = ServiceEnvironment::get();
  environment.publish(environment.model_directory("als"), "1");
  const std::string url = environment.database_url();
  const std::string password = password_of(url);
  ASSERT_FALSE(password.empty()) << "the test cluster's URL has no password: " << url;
  int port = free_loopback_port();

  ChildProcess service({"/usr/bin/env", "DATABASE_URL=" + url, recsys_binary(), "--log-level",
                        "trace", "serve", "--port", std::to_string(port), "--champion", "",
                        "--threads", "2", "--reload-interval", "0.5"},
                       environment.work_directory() / "secret-serve.log");
  httplib::Client http("127.0.0.1", port);
  http.set_read_timeout(std::chrono::seconds(10));
  ASSERT_TRUE(wait_for_status(http, "/readyz", 200, 30)) << service.log();

  for (const char* path : {"/recommendations/1", "/model", "/movies/1", "/recommendations/x"}) {
    EXPECT_TRUE(http.Get(path)) << path;
  }
  environment.stop_database();
  EXPECT_TRUE(wait_for_status(http, "/readyz", 503, 30)) << service.log();
  environment.start_database();
  EXPECT_TRUE(wait_for_status(http, "/readyz", 200, 60)) << service.log();
  EXPECT_EQ(service.stop(SIGTERM, std::chrono::seconds(30)), 0) << service.log();

  auto log = service.log();
  EXPECT_NE(log.find("recsys:***@"), std::string::npos) << log;
  EXPECT_NE(log.find("lost, reconnecting"), std::string::npos) << log;
  EXPECT_EQ(log.find(password), std::string::npos) << log;
}

TEST(SecretLogging, ServeWithoutDatabaseNeverLogsThePassword) {
  auto& environment = ServiceEnvironment::get();
  const std::string url = environment.database_url();
  const std::string password = password_of(url);
  ASSERT_FALSE(password.empty());
  int port = free_loopback_port();

  ChildProcess service({recsys_binary(), "--log-level", "trace", "serve", "--port",
                        std::to_string(port), "--champion", "", "--database-url",
                        with_port(url, free_loopback_port()), "--reload-interval", "0.2"},
                       environment.work_directory() / "secret-unreachable.log");
  httplib::Client http("127.0.0.1", port);
  ASSERT_TRUE(wait_for_status(http, "/healthz", 200, 30)) << service.log();
  EXPECT_TRUE(wait_for_status(http, "/readyz", 503, 10));
  std::this_thread::sleep_for(std::chrono::seconds(1));  // A few failed model checks.
  EXPECT_EQ(service.stop(SIGTERM, std::chrono::seconds(30)), 0) << service.log();

  auto log = service.log();
  EXPECT_NE(log.find("recsys:***@"), std::string::npos) << log;
  EXPECT_EQ(log.find(password), std::string::npos) << log;
}

}  // namespace
}  // namespace recsys::testing
