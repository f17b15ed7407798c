#include "tracking/rest_client.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "mock_mlflow_server.hpp"
#include "test_util.hpp"
#include "tracking/mlflow_error.hpp"

namespace recsys::tracking {
namespace {

using testing::MockMlflowServer;

const std::string kGetByName = "/api/2.0/mlflow/experiments/get-by-name";
const std::string kCreateExperiment = "/api/2.0/mlflow/experiments/create";

RestClientOptions fast_options(const std::string& url) {
  RestClientOptions options;
  options.base_url = url;
  options.max_retries = 3;
  options.backoff_factor = std::chrono::milliseconds(1);
  options.connect_timeout = std::chrono::milliseconds(2000);
  options.request_timeout = std::chrono::milliseconds(5000);
  return options;
}

TEST(RestClient, SendsGetFieldsAsQuery) {
  MockMlflowServer server;
  RestClient client(fast_options(server.url()));
  const auto response = client.call("GET", kGetByName, {{"experiment_name", "Default"}});
  EXPECT_EQ(response.at("experiment").at("experiment_id"), "0");
}

TEST(RestClient, ShowsMlflowErrorAsItCame) {
  MockMlflowServer server;
  RestClient client(fast_options(server.url()));
  try {
    client.call("GET", kGetByName, {{"experiment_name", "missing"}});
    FAIL() << "a missing experiment was found";
  } catch (const MlflowError& error) {
    EXPECT_EQ(error.error_code(), "RESOURCE_DOES_NOT_EXIST");
    EXPECT_EQ(error.http_status(), 404);
    EXPECT_NE(std::string(error.what()).find("Could not find experiment with name missing"),
              std::string::npos);
  }
  EXPECT_EQ(server.count_requests("GET", kGetByName), 1) << "a 404 must not be retried";
}

TEST(RestClient, RetriesServerErrorsThenSucceeds) {
  MockMlflowServer server;
  server.fail_next("GET", kGetByName, 2, 503);
  RestClient client(fast_options(server.url()));
  testing::LogCapture logs;
  const auto response = client.call("GET", kGetByName, {{"experiment_name", "Default"}});
  EXPECT_EQ(response.at("experiment").at("name"), "Default");
  EXPECT_EQ(server.count_requests("GET", kGetByName), 3);
  EXPECT_NE(logs.text().find("retry 1/3"), std::string::npos);
  EXPECT_NE(logs.text().find("retry 2/3"), std::string::npos);
}

TEST(RestClient, RetriesRateLimitWithRetryAfter) {
  MockMlflowServer server;
  MockMlflowServer::Fault fault;
  fault.method = "GET";
  fault.path_prefix = kGetByName;
  fault.status = 429;
  fault.retry_after_seconds = 0;
  server.add_fault(fault);
  RestClient client(fast_options(server.url()));
  client.call("GET", kGetByName, {{"experiment_name", "Default"}});
  EXPECT_EQ(server.count_requests("GET", kGetByName), 2);
}

TEST(RestClient, GivesUpAfterMaxRetries) {
  MockMlflowServer server;
  server.fail_next("POST", kCreateExperiment, 10, 500,
                   R"({"error_code": "INTERNAL_ERROR", "message": "database is locked"})");
  RestClient client(fast_options(server.url()));
  try {
    client.call("POST", kCreateExperiment, {{"name", "x"}});
    FAIL() << "a failing server reported success";
  } catch (const MlflowError& error) {
    EXPECT_EQ(error.error_code(), "INTERNAL_ERROR");
    EXPECT_EQ(error.http_status(), 500);
    EXPECT_NE(std::string(error.what()).find("database is locked"), std::string::npos);
  }
  EXPECT_EQ(server.count_requests("POST", kCreateExperiment), 4);
}

TEST(RestClient, RetriesDroppedConnection) {
  MockMlflowServer server;
  server.drop_next("GET", kGetByName, 1);
  RestClient client(fast_options(server.url()));
  const auto response = client.call("GET", kGetByName, {{"experiment_name", "Default"}});
  EXPECT_EQ(response.at("experiment").at("experiment_id"), "0");
  EXPECT_EQ(server.count_requests("GET", kGetByName), 2);
}

TEST(RestClient, RetriesAfterTimeout) {
  MockMlflowServer server;
  server.delay_next("GET", kGetByName, 1, std::chrono::milliseconds(1500));
  RestClientOptions options = fast_options(server.url());
  options.request_timeout = std::chrono::milliseconds(300);
  RestClient client(options);
  const auto response = client.call("GET", kGetByName, {{"experiment_name", "Default"}});
  EXPECT_EQ(response.at("experiment").at("experiment_id"), "0");
  EXPECT_EQ(server.count_requests("GET", kGetByName), 2);
}

// The experiment is created, but the response is lost. The check finds the experiment, so the
// request is not sent again.
TEST(RestClient, RetryCheckReturnsEarlierResult) {
  MockMlflowServer server;
  server.drop_next_after_handling("POST", kCreateExperiment, 1);
  RestClient client(fast_options(server.url()));
  int checks = 0;
  const RestClient::RetryCheck find_experiment = [&]() -> std::optional<nlohmann::json> {
    ++checks;
    const auto found = client.call("GET", kGetByName, {{"experiment_name", "lost"}});
    return nlohmann::json{{"experiment_id", found.at("experiment").at("experiment_id")}};
  };

  const auto response = client.call("POST", kCreateExperiment, {{"name", "lost"}}, find_experiment);

  EXPECT_EQ(checks, 1);
  EXPECT_EQ(server.count_requests("POST", kCreateExperiment), 1);
  const auto found = client.call("GET", kGetByName, {{"experiment_name", "lost"}});
  EXPECT_EQ(response.at("experiment_id"), found.at("experiment").at("experiment_id"));
}

TEST(RestClient, RetryCheckWithoutEffectSendsAgain) {
  MockMlflowServer server;
  server.fail_next("POST", kCreateExperiment, 1, 500);
  RestClient client(fast_options(server.url()));
  int checks = 0;
  const RestClient::RetryCheck nothing_created = [&]() -> std::optional<nlohmann::json> {
    ++checks;
    return std::nullopt;
  };

  const auto response = client.call("POST", kCreateExperiment, {{"name", "new"}}, nothing_created);

  EXPECT_EQ(checks, 1);
  EXPECT_EQ(server.count_requests("POST", kCreateExperiment), 2);
  EXPECT_FALSE(response.at("experiment_id").get<std::string>().empty());
}

TEST(RestClient, FailingRetryCheckEndsRetries) {
  MockMlflowServer server;
  server.fail_next("POST", kCreateExperiment, 1, 500);
  RestClient client(fast_options(server.url()));
  const RestClient::RetryCheck broken_check = []() -> std::optional<nlohmann::json> {
    throw Error("search unavailable");
  };

  try {
    client.call("POST", kCreateExperiment, {{"name", "unknown"}}, broken_check);
    FAIL() << "the request was sent again without knowing whether it took effect";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("HTTP 500"), std::string::npos) << message;
    EXPECT_NE(message.find("checking whether it took effect failed"), std::string::npos) << message;
    EXPECT_NE(message.find("search unavailable"), std::string::npos) << message;
  }
  EXPECT_EQ(server.count_requests("POST", kCreateExperiment), 1);
}

TEST(RestClient, UnreachableServerIsClearError) {
  int port = 0;
  {
    MockMlflowServer server;  // Take a free port, then close it.
    port = std::stoi(server.url().substr(server.url().rfind(':') + 1));
  }
  RestClient client(fast_options("http://127.0.0.1:" + std::to_string(port)));
  try {
    client.call("GET", kGetByName, {{"experiment_name", "Default"}});
    FAIL() << "a closed port answered";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("cannot reach the MLflow tracking server"), std::string::npos);
    EXPECT_NE(message.find("after 4 attempts"), std::string::npos);
    EXPECT_NE(message.find("MLFLOW_TRACKING_URI"), std::string::npos);
  }
}

TEST(RestClient, SendsBearerToken) {
  MockMlflowServer server;
  server.require_bearer_token("s3cret-token");
  RestClientOptions options = fast_options(server.url());
  options.token = "s3cret-token";
  RestClient client(options);
  EXPECT_NO_THROW(client.call("GET", kGetByName, {{"experiment_name", "Default"}}));
  EXPECT_EQ(server.requests().back().authorization, "Bearer s3cret-token");
}

TEST(RestClient, SendsBasicCredentials) {
  MockMlflowServer server;
  server.require_basic_auth("alice", "pa55word");
  RestClientOptions options = fast_options(server.url());
  options.username = "alice";
  options.password = "pa55word";
  RestClient client(options);
  EXPECT_NO_THROW(client.call("GET", kGetByName, {{"experiment_name", "Default"}}));
}

TEST(RestClient, BadCredentialsFailWithoutRetryOrLeak) {
  MockMlflowServer server;
  server.require_bearer_token("right-token");
  RestClientOptions options = fast_options(server.url());
  options.token = "wrong-token";
  RestClient client(options);
  testing::LogCapture logs;
  try {
    client.call("GET", kGetByName, {{"experiment_name", "Default"}});
    FAIL() << "wrong credentials were accepted";
  } catch (const MlflowError& error) {
    const std::string message = error.what();
    EXPECT_EQ(error.http_status(), 401);
    EXPECT_NE(message.find("rejected the credentials"), std::string::npos);
    EXPECT_NE(message.find("MLFLOW_TRACKING_TOKEN"), std::string::npos);
    EXPECT_EQ(message.find("wrong-token"), std::string::npos);
  }
  EXPECT_EQ(server.count_requests("GET", kGetByName), 1);
  EXPECT_EQ(logs.text().find("wrong-token"), std::string::npos);
}

TEST(RestClient, ForbiddenIsClearError) {
  MockMlflowServer server;
  server.forbid_all();
  RestClient client(fast_options(server.url()));
  try {
    client.call("POST", kCreateExperiment, {{"name", "x"}});
    FAIL() << "a forbidden request succeeded";
  } catch (const MlflowError& error) {
    EXPECT_EQ(error.http_status(), 403);
    EXPECT_EQ(error.error_code(), "PERMISSION_DENIED");
  }
}

TEST(RestClient, RetryLogsHideCredentials) {
  MockMlflowServer server;
  server.fail_next("GET", kGetByName, 1, 500);
  RestClientOptions options = fast_options(server.url());
  options.username = "alice";
  options.password = "pa55word";
  RestClient client(options);
  testing::LogCapture logs;
  client.call("GET", kGetByName, {{"experiment_name", "Default"}});
  EXPECT_NE(logs.text().find("retry"), std::string::npos);
  EXPECT_EQ(logs.text().find("pa55word"), std::string::npos);
}

TEST(RestClient, RedactsUserInfoInUrls) {
  EXPECT_EQ(redact_url("http://alice:pw@127.0.0.1:5000/prefix"), "http://127.0.0.1:5000/prefix");
  EXPECT_EQ(redact_url("http://127.0.0.1:5000"), "http://127.0.0.1:5000");
}

TEST(TrackingConfig, ResolvesUrisAndEnvironment) {
  const TrackingConfig file_config = resolve_tracking_config("file:///tmp/store");
  EXPECT_FALSE(file_config.is_rest);
  EXPECT_EQ(file_config.file_root, "/tmp/store");
  EXPECT_EQ(resolve_tracking_config("/tmp/plain/").file_root, "/tmp/plain");

  setenv("MLFLOW_TRACKING_TOKEN", "t0ken", 1);
  const TrackingConfig rest = resolve_tracking_config("http://bob:pw@127.0.0.1:5000/");
  unsetenv("MLFLOW_TRACKING_TOKEN");
  EXPECT_TRUE(rest.is_rest);
  EXPECT_EQ(rest.rest.base_url, "http://127.0.0.1:5000");
  EXPECT_EQ(rest.rest.token, "t0ken");
  EXPECT_EQ(rest.rest.username, "bob");
  EXPECT_EQ(rest.rest.password, "pw");

  EXPECT_THROW(resolve_tracking_config("s3://bucket/path"), Error);
}

}  // namespace
}  // namespace recsys::tracking
