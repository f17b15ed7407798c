#include "observability/prometheus_server.hpp"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <stdexcept>
#include <thread>

namespace recsys::testing {
namespace {

constexpr std::chrono::milliseconds kReadyPollInterval{100};

nlohmann::json decode(const httplib::Result& result, const std::string& what) {
  if (!result) {
    throw std::runtime_error(what + " failed: " + httplib::to_string(result.error()));
  }
  try {
    return nlohmann::json::parse(result->body);
  } catch (const nlohmann::json::parse_error& error) {
    throw std::runtime_error(what + " returned HTTP " + std::to_string(result->status) +
                             " with a body that is not JSON: " + result->body.substr(0, 200));
  }
}

std::string seconds(std::chrono::seconds interval) {
  return std::to_string(interval.count()) + "s";
}

}  // namespace

PrometheusServer::PrometheusServer(PrometheusServerOptions options) {
  port_ = free_loopback_port();
  address_ = "127.0.0.1:" + std::to_string(port_);
  write_config(options);

  auto storage = options.work_directory / "data";
  std::filesystem::create_directories(storage);
  ChildProcessOptions process;
  process.argv = {options.program, "--config.file=" + config_file_.string(),
                  "--storage.tsdb.path=" + storage.string(), "--web.listen-address=" + address_,
                  "--log.level=info"};
  process.log_file = options.work_directory / "prometheus.log";
  process_ = std::make_unique<ChildProcess>(process);
}

// Copies the repository's configuration and changes only what a test run needs: the
// targets, the intervals and the rule files as absolute paths. Everything else, such as
// the job names and the metrics path, is exercised as committed.
void PrometheusServer::write_config(const PrometheusServerOptions& options) {
  YAML::Node config = YAML::LoadFile(options.config_file.string());
  auto config_directory = std::filesystem::absolute(options.config_file).parent_path();

  config["global"]["scrape_interval"] = seconds(options.interval);
  config["global"]["scrape_timeout"] = seconds(options.interval);
  config["global"]["evaluation_interval"] = seconds(options.interval);

  YAML::Node rule_files = config["rule_files"];
  for (std::size_t i = 0; i < rule_files.size(); ++i) {
    rule_files[i] = (config_directory / rule_files[i].as<std::string>()).string();
  }

  bool found_recommender = false;
  for (auto job : config["scrape_configs"]) {
    auto name = job["job_name"].as<std::string>();
    std::string target;
    if (name == "recommender") {
      target = options.recommender_target;
      found_recommender = true;
    } else if (name == "prometheus") {
      target = address_;
    } else {
      continue;
    }
    YAML::Node targets(YAML::NodeType::Sequence);
    targets.push_back(target);
    job["static_configs"][0]["targets"] = targets;
  }
  if (!found_recommender) {
    throw std::runtime_error(options.config_file.string() + ": no scrape job 'recommender'");
  }

  config_file_ = options.work_directory / "prometheus.yml";
  std::ofstream out(config_file_);
  out << YAML::Dump(config) << "\n";
  if (!out) {
    throw std::runtime_error("failed to write " + config_file_.string());
  }
}

void PrometheusServer::wait_until_ready(int attempts) {
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(std::chrono::seconds(1));
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (!process_->running()) {
      throw std::runtime_error("prometheus exited during start:\n" + process_->log_tail());
    }
    auto result = client.Get("/-/ready");
    if (result && result->status == 200) {
      return;
    }
    std::this_thread::sleep_for(kReadyPollInterval);
  }
  throw std::runtime_error("prometheus at " + address_ + " did not become ready:\n" +
                           process_->log_tail());
}

nlohmann::json PrometheusServer::query(const std::string& expr) {
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(std::chrono::seconds(30));
  httplib::Params params{{"query", expr}};
  return decode(client.Post("/api/v1/query", params), "query '" + expr + "'");
}

nlohmann::json PrometheusServer::get(const std::string& path) {
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(std::chrono::seconds(30));
  return decode(client.Get(path), "GET " + path);
}

}  // namespace recsys::testing
