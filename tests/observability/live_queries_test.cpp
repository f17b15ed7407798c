// Every PromQL expression of the dashboard and the rules, evaluated by the real Prometheus
// against the real `recsys serve` after real traffic. A dashboard or recording rule query
// that returns nothing fails, and so does an alert whose input series return nothing, so
// renaming a metric in the service breaks this test.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "observability/child_process.hpp"
#include "observability/live_stack.hpp"
#include "observability/promql_sources.hpp"
#include "source_dir.hpp"
#include "tracking/file_model_registry.hpp"

namespace recsys::testing {
namespace {

const std::string kRecommendationsRoute = "/recommendations/{user_id}";
const std::string kModelName = "movielens-recommender";

// Grafana's $__rate_interval is at least four scrape intervals; the stack scrapes every
// second, and 30s covers the whole traffic phase.
const std::map<std::string, std::string> kGrafanaBuiltins = {
    {"__rate_interval", "30s"}, {"__interval", "5s"}, {"__range", "5m"}};

std::vector<PromqlQuery> load_dashboard_queries() {
  std::ifstream in(kSourceDir / "grafana" / "dashboards" / "recommender.json");
  return dashboard_queries(nlohmann::json::parse(in));
}

std::string describe(const nlohmann::json& answer) {
  return answer.dump().substr(0, 600);
}

class LiveQueries : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* movielens = std::getenv("ML100K_DIR");
    if (movielens == nullptr || *movielens == '\0') {
      return;
    }
    try {
      stack_ = std::make_unique<LiveStack>(movielens);
      stack_->send_traffic(8);
      // The last recording rule of each group has data once its group has evaluated
      // after the traffic.
      // The champion series appears once the service has read the registry.
      for (const char* expr : {"instance_route:http_request_duration_seconds:p99_rate5m",
                               "instance_stage:recommender_inference_duration_seconds:mean_rate5m",
                               "recommender_champion_model_info"}) {
        if (!stack_->wait_for_data(expr)) {
          setup_error_ = std::string("no data for ") + expr + " after the traffic";
        }
      }
    } catch (const std::exception& error) {
      setup_error_ = error.what();
    }
  }

  static void TearDownTestSuite() { stack_.reset(); }

  void SetUp() override {
    if (std::getenv("ML100K_DIR") == nullptr || *std::getenv("ML100K_DIR") == '\0') {
      GTEST_SKIP() << "ML100K_DIR is not set: the live test trains on MovieLens 100k";
    }
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    ASSERT_NE(stack_, nullptr);
  }

  // Evaluates every query with the variables replaced by `variables`, and checks that it
  // parses and, where required, returns data carrying the required label.
  void check_queries(const std::vector<PromqlQuery>& queries,
                     const std::map<std::string, std::string>& variables) {
    auto values = variables;
    values.insert(kGrafanaBuiltins.begin(), kGrafanaBuiltins.end());
    for (const auto& query : queries) {
      std::string expr = substitute_variables(query.expr, values);
      auto answer = stack_->prometheus().query(expr);
      ASSERT_EQ(answer.value("status", ""), "success") << query.origin << ": " << expr << "\n"
                                                       << describe(answer);
      const auto& result = answer["data"]["result"];
      if (query.must_return_data) {
        EXPECT_FALSE(result.empty()) << query.origin << " returned no data: " << expr;
      }
      if (!query.required_label.empty()) {
        for (const auto& series : result) {
          EXPECT_TRUE(series["metric"].contains(query.required_label))
              << query.origin << ": a series lacks label " << query.required_label;
        }
      }
    }
  }

  static std::unique_ptr<LiveStack> stack_;
  static std::string setup_error_;
};

std::unique_ptr<LiveStack> LiveQueries::stack_;
std::string LiveQueries::setup_error_;

TEST_F(LiveQueries, BothTargetsAreUp) {
  auto targets = stack_->prometheus().get("/api/v1/targets");
  std::set<std::string> up_jobs;
  for (const auto& target : targets["data"]["activeTargets"]) {
    if (target["health"] == "up") {
      up_jobs.insert(target["labels"]["job"].get<std::string>());
    }
  }
  EXPECT_EQ(up_jobs, (std::set<std::string>{"prometheus", "recommender"})) << describe(targets);
}

TEST_F(LiveQueries, DashboardQueriesReturnDataForAllValues) {
  check_queries(load_dashboard_queries(), {{"instance", ".*"}, {"route", ".*"}});
}

TEST_F(LiveQueries, DashboardQueriesReturnDataForOneRoute) {
  check_queries(load_dashboard_queries(),
                {{"instance", grafana_regex_escape(stack_->service_address())},
                 {"route", grafana_regex_escape(kRecommendationsRoute)}});
}

TEST_F(LiveQueries, RouteVariableListsRecommendationsRoute) {
  auto answer =
      stack_->prometheus().query("count by (route) (http_requests_total{job=\"recommender\"})");
  std::set<std::string> routes;
  for (const auto& series : answer["data"]["result"]) {
    routes.insert(series["metric"]["route"].get<std::string>());
  }
  EXPECT_EQ(routes.count(kRecommendationsRoute), 1u) << describe(answer);
  EXPECT_EQ(routes.count("/recommendations/1"), 0u) << "routes must be templates, not paths";
}

TEST_F(LiveQueries, RuleQueriesParseAndRecordingsReturnData) {
  for (const char* file : {"recording.yml", "alerts.yml"}) {
    check_queries(rule_queries(kSourceDir / "prometheus" / "rules" / file), {});
  }
}

TEST_F(LiveQueries, RulesEvaluateWithoutErrors) {
  auto rules = stack_->prometheus().get("/api/v1/rules");
  int rule_count = 0;
  for (const auto& group : rules["data"]["groups"]) {
    for (const auto& rule : group["rules"]) {
      ++rule_count;
      EXPECT_EQ(rule.value("health", ""), "ok")
          << rule.value("name", "") << ": " << rule.value("lastError", "");
    }
  }
  EXPECT_EQ(
      rule_count,
      static_cast<int>(rule_queries(kSourceDir / "prometheus" / "rules" / "recording.yml").size() +
                       rule_queries(kSourceDir / "prometheus" / "rules" / "alerts.yml").size()));
}

// An alert expression is usually empty, so each series it reads must return data on its
// own. A renamed metric would otherwise silence the alert for good.
TEST_F(LiveQueries, AlertInputSeriesReturnData) {
  for (const auto& query : rule_queries(kSourceDir / "prometheus" / "rules" / "alerts.yml")) {
    const auto names = metric_names(query.expr);
    EXPECT_FALSE(names.empty()) << query.origin;
    for (const auto& name : names) {
      auto answer = stack_->prometheus().query(name + "{job=\"recommender\"}");
      ASSERT_EQ(answer.value("status", ""), "success") << query.origin << ": " << name;
      EXPECT_FALSE(answer["data"]["result"].empty())
          << query.origin << " reads " << name << ", which has no data";
    }
  }
}

// Moving the champion alias to a new version makes the served model older than the champion.
// The service reports the new champion, the alert condition becomes true, and the dashboard
// shows that the champion is not served. Moving the alias back clears both.
TEST_F(LiveQueries, ChampionAlertFiresWhenAliasMoves) {
  std::string alert_expr;
  for (const auto& query : rule_queries(kSourceDir / "prometheus" / "rules" / "alerts.yml")) {
    if (query.origin == "alert RecommenderModelNotChampion") {
      alert_expr = query.expr;
    }
  }
  ASSERT_FALSE(alert_expr.empty());
  std::string serves_champion_expr;
  for (const auto& query : load_dashboard_queries()) {
    if (query.origin == "panel 'Serves the champion' target A") {
      serves_champion_expr = substitute_variables(query.expr, {{"instance", ".*"}});
    }
  }
  ASSERT_FALSE(serves_champion_expr.empty());
  ASSERT_TRUE(stack_->wait_for_no_data(alert_expr)) << "the served model is not the champion";

  tracking::FileModelRegistry registry(stack_->tracking_root());
  const auto served = registry.get_model_version_by_alias(kModelName, "champion");
  const auto newer =
      registry.create_model_version(kModelName, served.source, served.run_id, served.tags);
  registry.set_registered_model_alias(kModelName, "champion", newer.version);

  EXPECT_TRUE(stack_->wait_for_data(alert_expr))
      << "the alert condition stayed false after the champion moved to version " << newer.version;
  auto answer = stack_->prometheus().query(alert_expr);
  ASSERT_FALSE(answer["data"]["result"].empty()) << describe(answer);
  EXPECT_EQ(answer["data"]["result"][0]["metric"]["version"], served.version) << describe(answer);
  auto dashboard = stack_->prometheus().query(serves_champion_expr);
  ASSERT_EQ(dashboard["data"]["result"].size(), 1u) << describe(dashboard);
  EXPECT_EQ(dashboard["data"]["result"][0]["value"][1], "0") << describe(dashboard);

  registry.set_registered_model_alias(kModelName, "champion", served.version);
  registry.delete_model_version(kModelName, newer.version);
  EXPECT_TRUE(stack_->wait_for_no_data(alert_expr))
      << "the alert condition stayed true after the champion moved back";
}

// A healthy service with a model and a database trips none of the alert conditions. The
// latency alert is left out: under the sanitizers a single slow request can exceed it.
TEST_F(LiveQueries, AlertConditionsAreFalseForHealthyService) {
  for (const auto& query : rule_queries(kSourceDir / "prometheus" / "rules" / "alerts.yml")) {
    if (query.origin == "alert RecommenderHighLatencyP99") {
      continue;
    }
    auto answer = stack_->prometheus().query(query.expr);
    ASSERT_EQ(answer.value("status", ""), "success") << query.origin;
    EXPECT_TRUE(answer["data"]["result"].empty()) << query.origin << ": " << describe(answer);
  }
}

// The check above catches a renamed metric: the same queries with any one metric name
// changed return nothing.
TEST_F(LiveQueries, RenamedMetricReturnsNoData) {
  std::set<std::string> checked;
  for (const auto& query : load_dashboard_queries()) {
    for (const auto& name : metric_names(query.expr)) {
      if (!checked.insert(name).second) {
        continue;
      }
      std::string expr = substitute_variables(query.expr, kGrafanaBuiltins);
      expr = substitute_variables(expr, {{"instance", ".*"}, {"route", ".*"}});
      std::regex whole_name("(^|[^A-Za-z0-9_:])" + name + "(?![A-Za-z0-9_:])");
      std::string renamed = std::regex_replace(expr, whole_name, "$1" + name + "_renamed");
      ASSERT_NE(renamed, expr) << name;
      auto answer = stack_->prometheus().query(renamed);
      ASSERT_EQ(answer.value("status", ""), "success") << renamed;
      const auto& result = answer["data"]["result"];
      EXPECT_TRUE(result.empty()) << query.origin << " still returns data with " << name
                                  << " renamed: " << renamed;
    }
  }
  EXPECT_GE(checked.size(), 9u);
}

// The service's exposition passes Prometheus' own linter.
TEST_F(LiveQueries, ServiceMetricsPassPromtoolLint) {
  TemporaryDirectory directory("recsys-metrics");
  auto file = directory.path() / "metrics.txt";
  std::ofstream(file) << stack_->scrape_service();
  auto result = run_command({"sh", "-c", "promtool check metrics < \"$0\"", file.string()});
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace recsys::testing
