#include "service_process.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "service_environment.hpp"

namespace recsys::testing {

ServiceProcess::ServiceProcess(const std::vector<std::string>& extra_arguments,
                               const std::string& log_name) {
  auto& environment = ServiceEnvironment::get();
  port_ = free_loopback_port();
  std::vector<std::pair<std::string, std::string>> options = {
      {"--host", "127.0.0.1"},
      {"--port", std::to_string(port_)},
      {"--database-url", environment.database_url()},
      {"--champion", ""},
      {"--threads", "4"},
      {"--reload-interval", "1"}};
  std::vector<std::string> flags;
  for (std::size_t i = 0; i < extra_arguments.size(); ++i) {
    const auto& name = extra_arguments[i];
    bool has_value = i + 1 < extra_arguments.size() && extra_arguments[i + 1].rfind("--", 0) != 0;
    if (!has_value) {
      flags.push_back(name);
      continue;
    }
    auto found = std::find_if(options.begin(), options.end(),
                              [&name](const auto& option) { return option.first == name; });
    if (found != options.end()) {
      found->second = extra_arguments[i + 1];
    } else {
      options.emplace_back(name, extra_arguments[i + 1]);
    }
    ++i;
  }
  std::vector<std::string> argv = {recsys_binary(), "serve"};
  for (const auto& [name, value] : options) {
    argv.push_back(name);
    argv.push_back(value);
  }
  argv.insert(argv.end(), flags.begin(), flags.end());
  process_ = std::make_unique<ChildProcess>(argv, environment.work_directory() / log_name);

  auto http = client();
  for (int attempt = 0; attempt < 300; ++attempt) {
    if (!process_->running()) {
      throw std::runtime_error("recsys serve exited during start:\n" + process_->log());
    }
    if (auto response = http->Get("/healthz"); response && response->status == 200) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("recsys serve did not answer /healthz within 30 s:\n" + process_->log());
}

ServiceProcess::~ServiceProcess() {
  process_->stop(SIGTERM);
}

std::unique_ptr<httplib::Client> ServiceProcess::client() const {
  auto http = std::make_unique<httplib::Client>("127.0.0.1", port_);
  http->set_connection_timeout(std::chrono::seconds(5));
  http->set_read_timeout(std::chrono::seconds(10));
  return http;
}

bool ServiceProcess::wait_ready(int seconds) const {
  auto http = client();
  for (int attempt = 0; attempt < seconds * 10; ++attempt) {
    if (auto response = http->Get("/readyz"); response && response->status == 200) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace recsys::testing
