// docker-compose.yml read as data: the start order, the health checks, and the agreement of
// its mounts, ports and addresses with the files in the repository.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "source_dir.hpp"

namespace recsys::testing {
namespace {

YAML::Node load_compose() {
  return YAML::LoadFile((kSourceDir / "docker-compose.yml").string());
}

std::string condition(const YAML::Node& service, const std::string& dependency) {
  auto node = service["depends_on"][dependency]["condition"];
  return node ? node.as<std::string>() : "";
}

std::vector<std::string> strings(const YAML::Node& sequence) {
  std::vector<std::string> values;
  for (const auto& item : sequence) {
    values.push_back(item.as<std::string>());
  }
  return values;
}

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

TEST(ComposeFile, StartsServicesInPipelineOrder) {
  auto services = load_compose()["services"];
  EXPECT_EQ(condition(services["trainer"], "postgres"), "service_healthy");
  EXPECT_EQ(condition(services["trainer"], "mlflow"), "service_healthy");
  EXPECT_EQ(condition(services["api"], "trainer"), "service_completed_successfully");
  EXPECT_EQ(condition(services["api"], "postgres"), "service_healthy");
  EXPECT_EQ(condition(services["api"], "mlflow"), "service_healthy");
  EXPECT_EQ(condition(services["prometheus"], "api"), "service_healthy");
  EXPECT_EQ(condition(services["grafana"], "prometheus"), "service_healthy");
}

// Every long-running service has a health check, because the start order waits on them.
// The one-shot trainer has none and never restarts.
TEST(ComposeFile, LongRunningServicesHaveHealthChecks) {
  auto services = load_compose()["services"];
  for (const auto& entry : services) {
    auto name = entry.first.as<std::string>();
    if (name == "trainer") {
      EXPECT_FALSE(entry.second["healthcheck"]) << name;
      EXPECT_EQ(entry.second["restart"].as<std::string>(), "no");
      continue;
    }
    ASSERT_TRUE(entry.second["healthcheck"]) << name << " has no health check";
    EXPECT_EQ(entry.second["healthcheck"]["test"][0].as<std::string>(), "CMD") << name;
  }
}

TEST(ComposeFile, ApiHealthCheckUsesReadiness) {
  auto test = strings(load_compose()["services"]["api"]["healthcheck"]["test"]);
  EXPECT_TRUE(contains(test, "http://127.0.0.1:8080/readyz"));
}

TEST(ComposeFile, OurServicesBuildFromDockerfile) {
  auto services = load_compose()["services"];
  for (const char* name : {"api", "trainer"}) {
    EXPECT_EQ(services[name]["build"].as<std::string>(), ".") << name;
    EXPECT_FALSE(services[name]["image"]) << name;
  }
  EXPECT_TRUE(std::filesystem::exists(kSourceDir / "Dockerfile"));
  EXPECT_TRUE(std::filesystem::exists(kSourceDir / ".dockerignore"));
}

TEST(ComposeFile, MlflowServesArtifactsFromVolume) {
  auto mlflow = load_compose()["services"]["mlflow"];
  auto command = strings(mlflow["command"]);
  EXPECT_TRUE(contains(command, "--serve-artifacts"));
  EXPECT_TRUE(contains(command, "--backend-store-uri=sqlite:////mlflow/mlflow.db"));
  EXPECT_TRUE(contains(command, "--artifacts-destination=/mlflow/artifacts"));
  EXPECT_TRUE(contains(strings(mlflow["volumes"]), "mlflow-data:/mlflow"));
}

TEST(ComposeFile, PipelineServicesReachMlflowAndPostgres) {
  auto services = load_compose()["services"];
  for (const char* name : {"api", "trainer"}) {
    auto environment = services[name]["environment"];
    EXPECT_EQ(environment["MLFLOW_TRACKING_URI"].as<std::string>(), "http://mlflow:5000") << name;
    EXPECT_EQ(environment["DATABASE_URL"].as<std::string>(),
              "postgresql://recsys:${POSTGRES_PASSWORD:-recsys}@postgres:5432/recsys")
        << name;
  }
  auto postgres = services["postgres"]["environment"];
  EXPECT_EQ(postgres["POSTGRES_USER"].as<std::string>(), "recsys");
  EXPECT_EQ(postgres["POSTGRES_DB"].as<std::string>(), "recsys");
  EXPECT_EQ(postgres["POSTGRES_PASSWORD"].as<std::string>(), "${POSTGRES_PASSWORD:-recsys}");
}

TEST(ComposeFile, TrainerRunsCommittedScript) {
  auto trainer = load_compose()["services"]["trainer"];
  EXPECT_EQ(trainer["entrypoint"][0].as<std::string>(), "recsys-compose-trainer");
  auto script = kSourceDir / "scripts" / "compose-trainer.sh";
  ASSERT_TRUE(std::filesystem::exists(script));
  auto permissions = std::filesystem::status(script).permissions();
  EXPECT_NE(permissions & std::filesystem::perms::owner_exec, std::filesystem::perms::none);
}

// Bind mounts name repository paths that exist, and the configuration files that the
// services read are inside them.
TEST(ComposeFile, BindMountsExistInRepository) {
  auto services = load_compose()["services"];
  int bind_mounts = 0;
  for (const auto& entry : services) {
    for (const auto& volume : entry.second["volumes"]) {
      auto text = volume.as<std::string>();
      if (text.rfind("./", 0) != 0) {
        continue;
      }
      ++bind_mounts;
      auto source = text.substr(0, text.find(':'));
      EXPECT_TRUE(std::filesystem::is_directory(kSourceDir / source)) << text;
      EXPECT_EQ(text.substr(text.size() - 3), ":ro") << text << " should be read-only";
    }
  }
  EXPECT_EQ(bind_mounts, 3);

  auto prometheus_command = strings(services["prometheus"]["command"]);
  EXPECT_TRUE(contains(prometheus_command, "--config.file=/etc/prometheus/prometheus-compose.yml"));
  EXPECT_TRUE(std::filesystem::exists(kSourceDir / "prometheus" / "prometheus-compose.yml"));

  auto home = services["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"];
  EXPECT_EQ(home.as<std::string>(), "/etc/grafana/dashboards/recommender.json");
  EXPECT_TRUE(std::filesystem::exists(kSourceDir / "grafana" / "dashboards" / "recommender.json"));
}

// The addresses inside the Prometheus and Grafana configuration are Compose service names
// and container ports.
TEST(ComposeFile, MonitoringAddressesMatchServices) {
  YAML::Node prometheus =
      YAML::LoadFile((kSourceDir / "prometheus" / "prometheus-compose.yml").string());
  EXPECT_EQ(prometheus["scrape_configs"][0]["static_configs"][0]["targets"][0].as<std::string>(),
            "api:8080");
  YAML::Node datasources = YAML::LoadFile(
      (kSourceDir / "grafana" / "provisioning" / "datasources" / "prometheus.yml").string());
  EXPECT_EQ(datasources["datasources"][0]["url"].as<std::string>(), "http://prometheus:9090");

  auto services = load_compose()["services"];
  auto api_command = strings(services["api"]["command"]);
  EXPECT_TRUE(contains(api_command, "--port=8080"));
  EXPECT_TRUE(contains(api_command, "--host=0.0.0.0"));
  EXPECT_EQ(services["api"]["ports"][0].as<std::string>(), "127.0.0.1:${API_PORT:-8080}:8080");
  EXPECT_EQ(services["prometheus"]["ports"][0].as<std::string>(),
            "127.0.0.1:${PROMETHEUS_PORT:-9090}:9090");
}

TEST(ComposeFile, GrafanaAllowsAnonymousReadOnly) {
  auto environment = load_compose()["services"]["grafana"]["environment"];
  EXPECT_EQ(environment["GF_AUTH_ANONYMOUS_ENABLED"].as<std::string>(), "true");
  EXPECT_EQ(environment["GF_AUTH_ANONYMOUS_ORG_ROLE"].as<std::string>(), "Viewer");
  EXPECT_EQ(environment["GF_USERS_ALLOW_SIGN_UP"].as<std::string>(), "false");
}

TEST(ComposeFile, PublishesPortsOnLoopbackOnly) {
  auto services = load_compose()["services"];
  for (const auto& entry : services) {
    for (const auto& port : entry.second["ports"]) {
      EXPECT_EQ(port.as<std::string>().rfind("127.0.0.1:", 0), 0u)
          << entry.first.as<std::string>() << ": " << port.as<std::string>();
    }
  }
}

}  // namespace
}  // namespace recsys::testing
