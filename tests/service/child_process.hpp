#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace recsys::testing {

// A program run in the background by the test, its stdout and stderr going to a log file.
// The destructor stops it (SIGTERM, then SIGKILL after ten seconds) by its process id.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::filesystem::path log_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Whether the process still runs; reaps it once it has exited.
  bool running();
  // Sends `signal` and waits up to `timeout` for the exit. Returns the exit code, or -1 when
  // it was killed by a signal or had to be killed after the timeout.
  int stop(int signal, std::chrono::seconds timeout = std::chrono::seconds(10));
  std::string log() const;

 private:
  std::filesystem::path log_file_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr.
};

// Runs a program to completion (no shell) and returns its exit code and output.
CommandResult run_command(const std::vector<std::string>& argv);

// A TCP port on 127.0.0.1 that is free now.
int free_loopback_port();

}  // namespace recsys::testing
