// The Grafana dashboard and provisioning files read as data, without Grafana: the
// dashboard model fields, the layout, the data source references and the metrics used.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "observability/promql_sources.hpp"
#include "source_dir.hpp"

namespace recsys::testing {
namespace {

const std::filesystem::path kDashboardFile =
    kSourceDir / "grafana" / "dashboards" / "recommender.json";

nlohmann::json load_dashboard() {
  std::ifstream in(kDashboardFile);
  return nlohmann::json::parse(in);
}

std::string provisioned_datasource_uid() {
  YAML::Node provisioning = YAML::LoadFile(
      (kSourceDir / "grafana" / "provisioning" / "datasources" / "prometheus.yml").string());
  return provisioning["datasources"][0]["uid"].as<std::string>();
}

// Panels in layout order, with the panels of collapsed rows after their row.
std::vector<nlohmann::json> all_panels(const nlohmann::json& dashboard) {
  std::vector<nlohmann::json> panels;
  for (const auto& panel : dashboard.at("panels")) {
    panels.push_back(panel);
    for (const auto& nested : panel.value("panels", nlohmann::json::array())) {
      panels.push_back(nested);
    }
  }
  return panels;
}

std::set<std::string> recorded_series() {
  std::set<std::string> names;
  for (const auto& query : rule_queries(kSourceDir / "prometheus" / "rules" / "recording.yml")) {
    names.insert(query.origin.substr(std::string("recording rule ").size()));
  }
  return names;
}

TEST(Dashboard, HasModelFields) {
  auto dashboard = load_dashboard();
  EXPECT_EQ(dashboard.at("uid"), "recsys-recommender");
  EXPECT_EQ(dashboard.at("title"), "Recommender service");
  EXPECT_GE(dashboard.at("schemaVersion").get<int>(), 39);
  EXPECT_TRUE(dashboard.at("id").is_null()) << "provisioned dashboards get their id from Grafana";
  EXPECT_FALSE(dashboard.at("editable").get<bool>());
}

TEST(Dashboard, PanelsHaveUniqueIdsAndFitGrid) {
  auto panels = all_panels(load_dashboard());
  ASSERT_FALSE(panels.empty());
  std::set<int> ids;
  for (const auto& panel : panels) {
    std::string title = panel.value("title", "");
    EXPECT_TRUE(ids.insert(panel.at("id").get<int>()).second) << "duplicate id in " << title;
    const auto& grid = panel.at("gridPos");
    int x = grid.at("x");
    int w = grid.at("w");
    EXPECT_GE(x, 0) << title;
    EXPECT_GT(w, 0) << title;
    EXPECT_LE(x + w, 24) << title << " extends past the 24 grid columns";
    EXPECT_GT(grid.at("h").get<int>(), 0) << title;
  }
}

TEST(Dashboard, PanelsDoNotOverlap) {
  auto panels = all_panels(load_dashboard());
  for (std::size_t i = 0; i < panels.size(); ++i) {
    for (std::size_t j = i + 1; j < panels.size(); ++j) {
      const auto& a = panels[i].at("gridPos");
      const auto& b = panels[j].at("gridPos");
      bool apart = a.at("x").get<int>() + a.at("w").get<int>() <= b.at("x").get<int>() ||
                   b.at("x").get<int>() + b.at("w").get<int>() <= a.at("x").get<int>() ||
                   a.at("y").get<int>() + a.at("h").get<int>() <= b.at("y").get<int>() ||
                   b.at("y").get<int>() + b.at("h").get<int>() <= a.at("y").get<int>();
      EXPECT_TRUE(apart) << "'" << panels[i].value("title", "") << "' overlaps '"
                         << panels[j].value("title", "") << "'";
    }
  }
}

TEST(Dashboard, ReferencesProvisionedDatasourceByUid) {
  auto dashboard = load_dashboard();
  std::string uid = provisioned_datasource_uid();
  for (const auto& panel : all_panels(dashboard)) {
    if (panel.at("type") == "row") {
      continue;
    }
    std::string title = panel.value("title", "");
    EXPECT_EQ(panel.at("datasource").at("uid"), uid) << title;
    EXPECT_EQ(panel.at("datasource").at("type"), "prometheus") << title;
    ASSERT_TRUE(panel.contains("targets")) << title;
    for (const auto& target : panel.at("targets")) {
      EXPECT_EQ(target.at("datasource").at("uid"), uid) << title;
    }
  }
  for (const auto& variable : dashboard.at("templating").at("list")) {
    EXPECT_EQ(variable.at("datasource").at("uid"), uid) << variable.at("name");
  }
}

TEST(Dashboard, HasInstanceAndRouteVariables) {
  auto dashboard = load_dashboard();
  std::set<std::string> names;
  for (const auto& variable : dashboard.at("templating").at("list")) {
    names.insert(variable.at("name").get<std::string>());
    EXPECT_EQ(variable.at("type"), "query");
    EXPECT_TRUE(variable.at("includeAll").get<bool>());
    EXPECT_EQ(variable.at("allValue"), ".*");
  }
  EXPECT_EQ(names, (std::set<std::string>{"instance", "route"}));
}

// Each query filters by the instance variable, and each request query by the route variable
// too, so the variables change every panel.
TEST(Dashboard, QueriesUseTemplateVariables) {
  for (const auto& query : dashboard_queries(load_dashboard())) {
    if (query.origin == "variable 'instance'") {
      continue;
    }
    EXPECT_NE(query.expr.find("instance=~\"$instance\""), std::string::npos) << query.origin;
    bool reads_requests = query.expr.find("http_request") != std::string::npos;
    if (reads_requests && query.origin != "variable 'route'") {
      EXPECT_NE(query.expr.find("route=~\"$route\""), std::string::npos) << query.origin;
    }
  }
}

// The dashboard shows every metric of the service's contract, and every recorded series
// that it reads exists in recording.yml.
TEST(Dashboard, ReadsServiceMetricsAndRecordedSeries) {
  std::set<std::string> used;
  for (const auto& query : dashboard_queries(load_dashboard())) {
    for (const auto& name : metric_names(query.expr)) {
      used.insert(name);
    }
  }

  const std::vector<std::string> service_metrics = {
      "http_requests_total",
      "http_request_duration_seconds_bucket",
      "recommender_inference_duration_seconds_bucket",
      "recommender_db_query_duration_seconds_bucket",
      "recommender_model_info",
      "recommender_champion_model_info",
      "recommender_db_pool_connections",
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "process_start_time_seconds",
  };
  for (const auto& name : service_metrics) {
    EXPECT_EQ(used.count(name), 1u) << "no panel shows " << name;
  }

  auto recorded = recorded_series();
  for (const auto& name : used) {
    if (name.find(':') != std::string::npos) {
      EXPECT_EQ(recorded.count(name), 1u) << name << " is not recorded by recording.yml";
    }
  }
}

// The overview shows the served version next to the registry champion, and whether they
// match, the comparison that the alert RecommenderModelNotChampion makes.
TEST(Dashboard, ShowsServedVersionAndChampion) {
  std::map<std::string, std::string> expressions;
  for (const auto& panel : all_panels(load_dashboard())) {
    for (const auto& target : panel.value("targets", nlohmann::json::array())) {
      expressions[panel.value("title", "")] += target.value("expr", "");
    }
  }
  ASSERT_EQ(expressions.count("Served model version"), 1u);
  ASSERT_EQ(expressions.count("Registry champion version"), 1u);
  ASSERT_EQ(expressions.count("Serves the champion"), 1u);
  EXPECT_NE(expressions["Served model version"].find("recommender_model_info"), std::string::npos);
  EXPECT_NE(expressions["Registry champion version"].find("recommender_champion_model_info"),
            std::string::npos);
  const std::string& comparison = expressions["Serves the champion"];
  EXPECT_NE(comparison.find("on (job, instance, name, version)"), std::string::npos) << comparison;
}

TEST(GrafanaProvisioning, ProviderLoadsDashboardFolder) {
  YAML::Node provider = YAML::LoadFile(
      (kSourceDir / "grafana" / "provisioning" / "dashboards" / "recsys.yml").string());
  EXPECT_EQ(provider["apiVersion"].as<int>(), 1);
  const auto& entry = provider["providers"][0];
  EXPECT_EQ(entry["type"].as<std::string>(), "file");
  EXPECT_EQ(entry["options"]["path"].as<std::string>(), "/etc/grafana/dashboards");
}

TEST(GrafanaProvisioning, DatasourcePointsAtComposePrometheus) {
  YAML::Node provisioning = YAML::LoadFile(
      (kSourceDir / "grafana" / "provisioning" / "datasources" / "prometheus.yml").string());
  const auto& datasource = provisioning["datasources"][0];
  EXPECT_EQ(datasource["type"].as<std::string>(), "prometheus");
  EXPECT_EQ(datasource["url"].as<std::string>(), "http://prometheus:9090");
  EXPECT_FALSE(datasource["uid"].as<std::string>().empty());
}

}  // namespace
}  // namespace recsys::testing
