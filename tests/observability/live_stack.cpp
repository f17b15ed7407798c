#include "observability/live_stack.hpp"

#include <httplib.h>

#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "source_dir.hpp"

namespace recsys::testing {
namespace {

constexpr std::chrono::milliseconds kPollInterval{500};
constexpr const char* kChampionUri = "models:/movielens-recommender@champion";

std::string run_or_throw(const std::vector<std::string>& argv,
                         const std::vector<std::pair<std::string, std::string>>& environment = {}) {
  auto result = run_command(argv, environment);
  if (result.exit_code != 0) {
    std::ostringstream command;
    for (const auto& argument : argv) {
      command << argument << ' ';
    }
    throw std::runtime_error("command failed with exit code " + std::to_string(result.exit_code) +
                             ": " + command.str() + "\n" + result.output);
  }
  return result.output;
}

std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of("\n");
  if (end == std::string::npos) {
    return "";
  }
  auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end - (start == std::string::npos ? 0 : start + 1) + 1);
}

}  // namespace

LiveStack::LiveStack(const std::filesystem::path& movielens_dir) {
  work_ = std::make_unique<TemporaryDirectory>("recsys-observability");
  // scripts/local-db.sh runs the server as the postgres user when started by root, and that
  // user must be able to enter the work directory.
  std::filesystem::permissions(
      work_->path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                         std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                         std::filesystem::perms::others_exec);

  start_database();
  publish_model(movielens_dir);
  start_service();

  PrometheusServerOptions options;
  options.config_file = kSourceDir / "prometheus" / "prometheus.yml";
  options.recommender_target = service_address_;
  options.work_directory = work_->path() / "prometheus";
  std::filesystem::create_directories(options.work_directory);
  prometheus_ = std::make_unique<PrometheusServer>(options);
  prometheus_->wait_until_ready();
}

LiveStack::~LiveStack() {
  prometheus_.reset();
  service_.reset();
  if (database_started_) {
    run_command({(kSourceDir / "scripts" / "local-db.sh").string(), "stop"},
                {{"RECSYS_PG_DIR", database_dir_.string()}});
  }
}

void LiveStack::start_database() {
  database_dir_ = work_->path() / "postgres";
  std::string port = std::to_string(free_loopback_port());
  auto output = run_or_throw({(kSourceDir / "scripts" / "local-db.sh").string(), "start"},
                             {{"RECSYS_PG_DIR", database_dir_.string()}, {"RECSYS_PG_PORT", port}});
  database_started_ = true;
  database_url_ = last_line(output);
  if (database_url_.rfind("postgresql://", 0) != 0) {
    throw std::runtime_error("local-db.sh start printed no database URL:\n" + output);
  }
}

void LiveStack::publish_model(const std::filesystem::path& movielens_dir) {
  auto model_dir = work_->path() / "model";
  tracking_root_ = work_->path() / "mlruns";
  run_or_throw({RECSYS_BINARY, "db", "migrate", "--database-url", database_url_});
  run_or_throw({RECSYS_BINARY, "train", "--data", movielens_dir.string(), "--split", "u1", "--out",
                model_dir.string(), "--tracking-uri", tracking_root_.string(), "--register"});
  run_or_throw({RECSYS_BINARY, "publish", "--database-url", database_url_, "--model",
                std::string(kChampionUri), "--tracking-uri", tracking_root_.string(), "--cache-dir",
                (work_->path() / "cache").string()});
}

void LiveStack::start_service() {
  service_port_ = free_loopback_port();
  service_address_ = "127.0.0.1:" + std::to_string(service_port_);

  ChildProcessOptions options;
  // A one-second reload interval lets a test see a moved champion alias within seconds.
  options.argv = {RECSYS_BINARY,
                  "serve",
                  "--host",
                  "127.0.0.1",
                  "--port",
                  std::to_string(service_port_),
                  "--database-url",
                  database_url_,
                  "--champion",
                  kChampionUri,
                  "--tracking-uri",
                  tracking_root_.string(),
                  "--reload-interval",
                  "1",
                  "--threads",
                  "4"};
  options.log_file = work_->path() / "serve.log";
  service_ = std::make_unique<ChildProcess>(options);

  httplib::Client client("127.0.0.1", service_port_);
  client.set_connection_timeout(std::chrono::seconds(1));
  for (int attempt = 0; attempt < 240; ++attempt) {
    if (!service_->running()) {
      throw std::runtime_error("recsys serve exited during start:\n" + service_->log_tail());
    }
    auto result = client.Get("/readyz");
    if (result && result->status == 200) {
      return;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  throw std::runtime_error("recsys serve did not become ready:\n" + service_->log_tail());
}

void LiveStack::send_traffic(int rounds) {
  httplib::Client client("127.0.0.1", service_port_);
  client.set_read_timeout(std::chrono::seconds(30));
  for (int round = 0; round < rounds; ++round) {
    for (int user = 1; user <= 20; ++user) {
      client.Get("/recommendations/" + std::to_string(user) + "?k=10");
    }
    client.Get("/recommendations/999999");
    client.Get("/movies/1");
    client.Get("/movies/1/similar");
    client.Get("/healthz");
    client.Get("/readyz");
    client.Get("/no-such-path");
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

bool LiveStack::wait_for_no_data(const std::string& expr, int attempts) {
  for (int attempt = 0; attempt < attempts; ++attempt) {
    auto answer = prometheus_->query(expr);
    if (answer.value("status", "") == "success" && answer["data"]["result"].empty()) {
      return true;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return false;
}

bool LiveStack::wait_for_data(const std::string& expr, int attempts) {
  for (int attempt = 0; attempt < attempts; ++attempt) {
    auto answer = prometheus_->query(expr);
    if (answer.value("status", "") == "success" && !answer["data"]["result"].empty()) {
      return true;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return false;
}

std::string LiveStack::scrape_service() {
  httplib::Client client("127.0.0.1", service_port_);
  auto result = client.Get("/metrics");
  if (!result || result->status != 200) {
    throw std::runtime_error("GET /metrics on " + service_address_ + " failed");
  }
  return result->body;
}

}  // namespace recsys::testing
