#pragma once

#include <httplib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace recsys::testing {

// `recsys serve` started on a free loopback port against the test cluster, ready once
// GET /healthz answers.
class ServiceProcess {
 public:
  // `extra_arguments` ("--option value" pairs and flags) replace or add to the defaults:
  // loopback, a free port, the test cluster, no registry lookup, 4 threads, 1 s reloads.
  // Throws std::runtime_error with the service log when it does not come up in 30 seconds.
  explicit ServiceProcess(const std::vector<std::string>& extra_arguments = {},
                          const std::string& log_name = "serve.log");
  ~ServiceProcess();

  int port() const { return port_; }
  std::unique_ptr<httplib::Client> client() const;
  ChildProcess& process() { return *process_; }
  std::string log() const { return process_->log(); }

  // Waits until GET /readyz returns 200; returns false after `seconds`.
  bool wait_ready(int seconds = 30) const;

 private:
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace recsys::testing
