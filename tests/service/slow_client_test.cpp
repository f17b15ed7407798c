#include "slow_client.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "eventually.hpp"
#include "service_environment.hpp"
#include "service_process.hpp"

namespace recsys::testing {
namespace {

// Request heads that a slow client never finishes: each sends one more header line byte by
// byte, always within --read-timeout, so only a bound on the whole request ends it.
constexpr const char* kSlowHeadersPrefix = "GET /healthz HTTP/1.1\r\nHost: test\r\n";
constexpr const char* kSlowHeadersDrip = "X-Slow: a\r\n";

// With every worker thread held by a slow client, SIGTERM must still end the process: the
// requests in progress get --shutdown-timeout, then the connections are closed.
TEST(SlowClients, SigtermClosesThemAfterShutdownTimeout) {
  auto& environment = ServiceEnvironment::get();
  environment.publish(environment.model_directory("als"), "1");
  ServiceProcess service({"--threads", "2", "--shutdown-timeout", "2", "--request-timeout", "600"},
                         "slow-sigterm.log");

  // Two clients hold the two worker threads and the third waits in the accept queue.
  std::vector<std::unique_ptr<SlowClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(
        std::make_unique<SlowClient>(service.port(), kSlowHeadersPrefix, kSlowHeadersDrip));
  }
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& client : clients) {
          if (!client->dripping()) {
            return false;
          }
        }
        return true;
      },
      10));
  std::this_thread::sleep_for(std::chrono::seconds(1));

  // 60 s is far above the 2 s drain; ChildProcess kills the service after it and returns -1.
  int exit_code = service.process().stop(SIGTERM, std::chrono::seconds(60));

  auto log = service.log();
  EXPECT_EQ(exit_code, 0) << log;
  EXPECT_NE(log.find("SIGTERM received: stopping"), std::string::npos) << log;
  EXPECT_NE(log.find("shutdown timeout of 2 s reached: closing 2 connections"), std::string::npos)
      << log;
  EXPECT_NE(log.find("recsys serve stopped"), std::string::npos) << log;
  for (const auto& client : clients) {
    EXPECT_TRUE(client->closed_by_server());
  }
}

// Slow requests get 408 (or, without a complete request line, a closed connection) after
// --request-timeout, which frees the worker threads for other clients.
TEST(SlowClients, SlowRequestsTimeOutAndFreeWorkers) {
  auto& environment = ServiceEnvironment::get();
  environment.publish(environment.model_directory("als"), "1");
  ServiceProcess service({"--threads", "2", "--request-timeout", "2", "--read-timeout", "5"},
                         "slow-request.log");

  SlowClient headers(service.port(), kSlowHeadersPrefix, kSlowHeadersDrip);
  SlowClient body(service.port(),
                  "POST /recommendations HTTP/1.1\r\nHost: test\r\nContent-Type: "
                  "application/json\r\nContent-Length: 1000\r\n\r\n",
                  "[");
  SlowClient request_line(service.port(), "", "GET /healthz");

  ASSERT_TRUE(eventually(
      [&] {
        return headers.closed_by_server() && body.closed_by_server() &&
               request_line.closed_by_server();
      },
      60))
      << service.log();

  EXPECT_NE(headers.received().find("HTTP/1.1 408"), std::string::npos) << headers.received();
  EXPECT_NE(headers.received().find("request_timeout"), std::string::npos) << headers.received();
  EXPECT_NE(headers.received().find("Connection: close"), std::string::npos) << headers.received();
  EXPECT_NE(body.received().find("HTTP/1.1 408"), std::string::npos) << body.received();
  EXPECT_EQ(request_line.received(), "") << "no request line, so no response";

  auto health = service.client()->Get("/healthz");
  ASSERT_TRUE(health) << "no worker thread is free: " << service.log();
  EXPECT_EQ(health->status, 200);
  auto metrics = service.client()->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find(
                R"(http_requests_total{method="POST",route="/recommendations",status="408"} 1)"),
            std::string::npos)
      << metrics->body;
}

// A client that sends a request slowly but in time is served.
TEST(SlowClients, SlowButTimelyRequestIsServed) {
  auto& environment = ServiceEnvironment::get();
  environment.publish(environment.model_directory("als"), "1");
  ServiceProcess service({"--threads", "2", "--request-timeout", "30"}, "slow-timely.log");

  // The request line and headers arrive in 8 pieces 300 ms apart, about 2.4 s in all.
  SlowClient client(service.port(), "GET /healthz HTTP/1.1\r\nHost: test\r\n", "X-A: 1\r\n\r\n");
  ASSERT_TRUE(
      eventually([&] { return client.received().find("\r\n\r\n") != std::string::npos; }, 30))
      << service.log();
  EXPECT_EQ(client.received().rfind("HTTP/1.1 200", 0), 0U) << client.received();
}

}  // namespace
}  // namespace recsys::testing
