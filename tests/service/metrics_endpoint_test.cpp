#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "service_environment.hpp"
#include "service_process.hpp"

namespace recsys::testing {
namespace {

// Returns the value of the sample `series` (name and labels exactly as exposed), or -1 when
// the exposition has no such line.
double sample(const std::string& exposition, const std::string& series) {
  std::string prefix = series + " ";
  std::size_t position = 0;
  while ((position = exposition.find(prefix, position)) != std::string::npos) {
    if (position == 0 || exposition[position - 1] == '\n') {
      return std::stod(exposition.substr(position + prefix.size()));
    }
    position += prefix.size();
  }
  return -1.0;
}

class MetricsEndpoint : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto& environment = ServiceEnvironment::get();
    environment.publish(environment.model_directory("als"), "1");
    service_ = new ServiceProcess({}, "metrics.log");
    ASSERT_TRUE(service_->wait_ready()) << service_->log();
  }

  static void TearDownTestSuite() {
    delete service_;
    service_ = nullptr;
  }

  static std::string scrape() {
    auto result = service_->client()->Get("/metrics");
    EXPECT_TRUE(result);
    if (!result) {
      return {};
    }
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    return result->body;
  }

  static ServiceProcess* service_;
};

ServiceProcess* MetricsEndpoint::service_ = nullptr;

TEST_F(MetricsEndpoint, RequestCountersAndHistogramsMove) {
  const std::string requests =
      R"(http_requests_total{method="GET",route="/recommendations/{user_id}",status="200"})";
  const std::string durations =
      R"(http_request_duration_seconds_count{method="GET",route="/recommendations/{user_id}"})";
  const std::string not_found =
      R"(http_requests_total{method="GET",route="/recommendations/{user_id}",status="404"})";
  const std::string retrieve = R"(recommender_inference_duration_seconds_count{stage="retrieve"})";
  const std::string queries =
      R"(recommender_db_query_duration_seconds_count{query="recommend_for_user"})";

  auto before = scrape();
  auto http = service_->client();
  for (int user = 1; user <= 3; ++user) {
    auto result = http->Get("/recommendations/" + std::to_string(user));
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200);
  }
  ASSERT_EQ(http->Get("/recommendations/999999")->status, 404);
  auto after = scrape();

  EXPECT_EQ(sample(after, requests), std::max(sample(before, requests), 0.0) + 3) << after;
  // The histogram has no status label: the 404 counts as well.
  EXPECT_EQ(sample(after, durations), std::max(sample(before, durations), 0.0) + 4) << after;
  EXPECT_EQ(sample(after, not_found), std::max(sample(before, not_found), 0.0) + 1) << after;
  EXPECT_GE(sample(after, retrieve), std::max(sample(before, retrieve), 0.0) + 3) << after;
  EXPECT_GE(sample(after, queries), std::max(sample(before, queries), 0.0) + 4) << after;
}

TEST_F(MetricsEndpoint, FoldInStagesAreTimed) {
  auto before = scrape();
  auto result = service_->client()->Post(
      "/recommendations", R"({"ratings": [{"movie_id": 1, "rating": 5}]})", "application/json");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  auto after = scrape();
  for (const char* stage : {"embed", "retrieve", "total"}) {
    std::string series =
        std::string("recommender_inference_duration_seconds_count{stage=\"") + stage + "\"}";
    EXPECT_EQ(sample(after, series), std::max(sample(before, series), 0.0) + 1) << stage;
  }
}

TEST_F(MetricsEndpoint, SimilarMoviesTimeRetrieveAndTotal) {
  auto before = scrape();
  auto result = service_->client()->Get("/movies/1/similar?k=3");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  auto after = scrape();
  for (const char* stage : {"retrieve", "total"}) {
    std::string series =
        std::string("recommender_inference_duration_seconds_count{stage=\"") + stage + "\"}";
    EXPECT_EQ(sample(after, series), std::max(sample(before, series), 0.0) + 1) << stage;
  }
}

TEST_F(MetricsEndpoint, UnknownPathsShareOneRouteLabel) {
  auto http = service_->client();
  ASSERT_EQ(http->Get("/random/path/one")->status, 404);
  ASSERT_EQ(http->Get("/another-random-path")->status, 404);
  auto exposition = scrape();
  EXPECT_GE(
      sample(exposition, R"(http_requests_total{method="GET",route="unmatched",status="404"})"),
      2.0)
      << exposition;
  EXPECT_EQ(exposition.find("/random/path/one"), std::string::npos);
  EXPECT_EQ(exposition.find("/another-random-path"), std::string::npos);
}

TEST_F(MetricsEndpoint, ModelPoolAndProcessMetrics) {
  auto exposition = scrape();
  EXPECT_NE(exposition.find("recommender_model_info{name=\"movielens-recommender\",version=\"1\","
                            "run_id=\"\"} 1\n"),
            std::string::npos)
      << exposition;
  EXPECT_EQ(sample(exposition, "recommender_ready"), 1.0);
  double pool = 0.0;
  for (const char* state : {"idle", "in_use", "connecting", "disconnected"}) {
    double count =
        sample(exposition, std::string("recommender_db_pool_connections{state=\"") + state + "\"}");
    EXPECT_GE(count, 0.0) << state;
    pool += count;
  }
  EXPECT_EQ(pool, 4.0) << "the pool has one connection per worker thread";
  EXPECT_GT(sample(exposition, "process_resident_memory_bytes"), 1e6);
  EXPECT_GT(sample(exposition, "process_start_time_seconds"), 1.6e9);
  EXPECT_GE(sample(exposition, "process_cpu_seconds_total"), 0.0);
  for (const char* type_line :
       {"# TYPE http_requests_total counter", "# TYPE http_request_duration_seconds histogram",
        "# TYPE recommender_inference_duration_seconds histogram",
        "# TYPE recommender_db_query_duration_seconds histogram",
        "# TYPE recommender_model_info gauge", "# TYPE recommender_db_pool_connections gauge",
        "# TYPE process_cpu_seconds_total counter"}) {
    EXPECT_NE(exposition.find(type_line), std::string::npos) << type_line;
  }
  EXPECT_NE(
      exposition.find("http_request_duration_seconds_bucket{method=\"GET\",route=\"/metrics\","
                      "le=\"+Inf\"}"),
      std::string::npos);
}

TEST_F(MetricsEndpoint, ExpositionPassesPromtool) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool is not installed (apt-get install prometheus)";
  }
  // Some traffic first, so that every family has series, error statuses included.
  auto http = service_->client();
  http->Get("/recommendations/1?genre=Drama");
  http->Get("/recommendations/abc");
  http->Get("/movies/1/similar");
  http->Post("/recommendations", "{", "application/json");

  auto file = ServiceEnvironment::get().work_directory() / "metrics.txt";
  std::ofstream(file) << scrape();
  std::string command = "promtool check metrics < " + file.string() + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[256];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) {
    output += buffer;
  }
  EXPECT_EQ(pclose(pipe), 0) << output;
  EXPECT_EQ(output, "");
}

}  // namespace
}  // namespace recsys::testing
