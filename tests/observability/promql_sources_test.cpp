// The helpers that find PromQL in dashboards and rules, and substitute Grafana variables.
#include "observability/promql_sources.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "observability/child_process.hpp"

namespace recsys::testing {
namespace {

TEST(MetricNames, SkipsFunctionsLabelsAndKeywords) {
  auto names = metric_names(
      "histogram_quantile(0.99, sum by (route, le) (rate(http_request_duration_seconds_bucket"
      "{job=\"recommender\", route=~\"$route\"}[$__rate_interval])))");
  EXPECT_EQ(names, (std::vector<std::string>{"http_request_duration_seconds_bucket"}));
}

TEST(MetricNames, FindsBothSidesOfBinaryOperators) {
  auto names = metric_names(
      "up{job=\"recommender\"} == 1 unless on (job, instance) recommender_model_info\n"
      "and on (job) instance:http_request_errors:ratio_rate5m > 0.05");
  EXPECT_EQ(names, (std::vector<std::string>{"instance:http_request_errors:ratio_rate5m",
                                             "recommender_model_info", "up"}));
}

TEST(MetricNames, IgnoresStringsAndTimeFunction) {
  auto names = metric_names("time() - process_start_time_seconds{instance=~\"a{b}c\"}");
  EXPECT_EQ(names, (std::vector<std::string>{"process_start_time_seconds"}));
}

TEST(SubstituteVariables, ReplacesAllSyntaxes) {
  std::map<std::string, std::string> values = {{"instance", ".*"}, {"route", "/r"}};
  EXPECT_EQ(substitute_variables("a{i=~\"$instance\", r=~\"${route}\", x=~\"[[route]]\"}", values),
            "a{i=~\".*\", r=~\"/r\", x=~\"/r\"}");
  EXPECT_EQ(substitute_variables("${route:regex} $unknown", values), "/r $unknown");
}

TEST(GrafanaRegexEscape, EscapesMetacharactersForPromqlString) {
  EXPECT_EQ(grafana_regex_escape("/recommendations/{user_id}"),
            R"(/recommendations/\\{user_id\\})");
  EXPECT_EQ(grafana_regex_escape("127.0.0.1:8080"), R"(127\\.0\\.0\\.1:8080)");
  EXPECT_EQ(grafana_regex_escape(R"(a\b)"), R"(a\\\\b)");
}

TEST(DashboardQueries, FindsTargetsInRowsAndVariables) {
  auto dashboard = nlohmann::json::parse(R"json({
    "panels": [
      {"type": "row", "title": "Collapsed", "panels": [
        {"title": "Inner", "targets": [{"refId": "A", "expr": "up"}]}]},
      {"title": "Outer", "targets": [{"refId": "B", "expr": "rate(x_total[1m])"}]}
    ],
    "templating": {"list": [
      {"type": "query", "name": "instance",
       "query": {"query": "label_values(up{job=\"a\", x=\"b\"}, instance)"}},
      {"type": "custom", "name": "fixed", "query": "a,b"}
    ]}
  })json");
  auto queries = dashboard_queries(dashboard);
  ASSERT_EQ(queries.size(), 3u);
  EXPECT_EQ(queries[0].origin, "panel 'Inner' target A");
  EXPECT_EQ(queries[1].expr, "rate(x_total[1m])");
  EXPECT_EQ(queries[2].expr, "up{job=\"a\", x=\"b\"}");
  EXPECT_EQ(queries[2].required_label, "instance");
  EXPECT_TRUE(queries[2].must_return_data);
}

TEST(RuleQueries, MarksRecordingRulesOnly) {
  TemporaryDirectory directory("recsys-rules");
  auto file = directory.path() / "rules.yml";
  std::ofstream(file) << "groups:\n"
                         "  - name: g\n"
                         "    rules:\n"
                         "      - record: job:up:sum\n"
                         "        expr: sum by (job) (up)\n"
                         "      - alert: Down\n"
                         "        expr: up == 0\n";
  auto queries = rule_queries(file);
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_EQ(queries[0].origin, "recording rule job:up:sum");
  EXPECT_TRUE(queries[0].must_return_data);
  EXPECT_EQ(queries[1].origin, "alert Down");
  EXPECT_FALSE(queries[1].must_return_data);
}

}  // namespace
}  // namespace recsys::testing
