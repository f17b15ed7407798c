// The Prometheus configuration and rules checked by promtool, the Prometheus 2.42 tool that
// ships with the server: syntax, rule unit tests, and coverage of every alert by the tests.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "observability/child_process.hpp"

namespace recsys::testing {
namespace {

const std::filesystem::path kPrometheusDir =
    std::filesystem::path(RECSYS_SOURCE_DIR) / "prometheus";

std::vector<std::string> yaml_files(const std::filesystem::path& directory) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().extension() == ".yml") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

CommandResult promtool(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "promtool");
  return run_command(arguments);
}

TEST(Promtool, ConfigFilesAreValid) {
  for (const char* name : {"prometheus.yml", "prometheus-compose.yml"}) {
    auto result = promtool({"check", "config", (kPrometheusDir / name).string()});
    EXPECT_EQ(result.exit_code, 0) << name << ":\n" << result.output;
    EXPECT_NE(result.output.find("SUCCESS"), std::string::npos) << result.output;
  }
}

TEST(Promtool, RuleFilesAreValid) {
  auto files = yaml_files(kPrometheusDir / "rules");
  ASSERT_EQ(files.size(), 2u);
  std::vector<std::string> arguments = {"check", "rules"};
  arguments.insert(arguments.end(), files.begin(), files.end());
  auto result = promtool(arguments);
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(Promtool, RuleUnitTestsPass) {
  auto files = yaml_files(kPrometheusDir / "tests");
  ASSERT_FALSE(files.empty());
  std::vector<std::string> arguments = {"test", "rules"};
  arguments.insert(arguments.end(), files.begin(), files.end());
  auto result = promtool(arguments);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find("FAILED"), std::string::npos) << result.output;
}

// A broken rule must fail the unit tests, or the test above proves nothing.
TEST(Promtool, RuleUnitTestsDetectChangedThreshold) {
  TemporaryDirectory directory("recsys-promtool");
  std::filesystem::create_directories(directory.path() / "rules");
  std::filesystem::create_directories(directory.path() / "tests");
  for (const char* name : {"recording.yml", "alerts.yml"}) {
    std::filesystem::copy_file(kPrometheusDir / "rules" / name, directory.path() / "rules" / name);
  }
  std::filesystem::copy_file(kPrometheusDir / "tests" / "alerts_test.yml",
                             directory.path() / "tests" / "alerts_test.yml");

  auto alerts_file = directory.path() / "rules" / "alerts.yml";
  YAML::Node alerts = YAML::LoadFile(alerts_file.string());
  bool changed = false;
  for (auto rule : alerts["groups"][0]["rules"]) {
    if (rule["alert"].as<std::string>() == "RecommenderHighErrorRatio") {
      rule["expr"] = "job:http_request_errors:ratio_rate5m{job=\"recommender\"} > 0.5";
      changed = true;
    }
  }
  ASSERT_TRUE(changed);
  std::ofstream(alerts_file) << YAML::Dump(alerts) << "\n";

  auto result =
      promtool({"test", "rules", (directory.path() / "tests" / "alerts_test.yml").string()});
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("RecommenderHighErrorRatio"), std::string::npos) << result.output;
}

// Every alert has a unit test case where it fires and one where it stays quiet.
TEST(Promtool, EveryAlertHasFiringAndQuietCases) {
  YAML::Node alerts = YAML::LoadFile((kPrometheusDir / "rules" / "alerts.yml").string());
  std::set<std::string> alert_names;
  for (const auto& group : alerts["groups"]) {
    for (const auto& rule : group["rules"]) {
      alert_names.insert(rule["alert"].as<std::string>());
    }
  }
  ASSERT_FALSE(alert_names.empty());

  std::map<std::string, int> firing_cases;
  std::map<std::string, int> quiet_cases;
  YAML::Node tests = YAML::LoadFile((kPrometheusDir / "tests" / "alerts_test.yml").string());
  for (const auto& test : tests["tests"]) {
    for (const auto& check : test["alert_rule_test"]) {
      auto name = check["alertname"].as<std::string>();
      EXPECT_EQ(alert_names.count(name), 1u)
          << "test '" << test["name"] << "' checks unknown alert " << name;
      if (check["exp_alerts"].size() > 0) {
        ++firing_cases[name];
      } else {
        ++quiet_cases[name];
      }
    }
  }
  for (const auto& name : alert_names) {
    EXPECT_GE(firing_cases[name], 1) << name << " has no test case where it fires";
    EXPECT_GE(quiet_cases[name], 1) << name << " has no test case where it stays quiet";
  }
}

// The Compose configuration differs from the local one in its targets only.
TEST(PrometheusConfig, ComposeConfigMatchesLocal) {
  YAML::Node local = YAML::LoadFile((kPrometheusDir / "prometheus.yml").string());
  YAML::Node compose = YAML::LoadFile((kPrometheusDir / "prometheus-compose.yml").string());

  EXPECT_EQ(YAML::Dump(local["global"]), YAML::Dump(compose["global"]));
  EXPECT_EQ(YAML::Dump(local["rule_files"]), YAML::Dump(compose["rule_files"]));
  ASSERT_EQ(local["scrape_configs"].size(), compose["scrape_configs"].size());
  for (std::size_t i = 0; i < local["scrape_configs"].size(); ++i) {
    YAML::Node local_job = YAML::Clone(local["scrape_configs"][i]);
    YAML::Node compose_job = YAML::Clone(compose["scrape_configs"][i]);
    local_job.remove("static_configs");
    compose_job.remove("static_configs");
    EXPECT_EQ(YAML::Dump(local_job), YAML::Dump(compose_job));
  }
  EXPECT_EQ(compose["scrape_configs"][0]["static_configs"][0]["targets"][0].as<std::string>(),
            "api:8080");
  EXPECT_EQ(local["scrape_configs"][0]["static_configs"][0]["targets"][0].as<std::string>(),
            "127.0.0.1:8080");
}

}  // namespace
}  // namespace recsys::testing
