#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace recsys::testing {

struct ChildProcessOptions {
  std::vector<std::string> argv;  // Program path first; no shell is involved.
  // Added to (or replacing in) the test's own environment.
  std::vector<std::pair<std::string, std::string>> environment;
  std::filesystem::path log_file;  // Receives stdout and stderr; truncated at start.
};

// A program that the test starts in the background and stops by its process id, with
// SIGTERM first and SIGKILL when it does not exit in time. The destructor stops it.
class ChildProcess {
 public:
  explicit ChildProcess(ChildProcessOptions options);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::filesystem::path& log_file() const { return options_.log_file; }

  // Whether the process still runs; reaps it when it has exited.
  bool running();

  // Stops the process and returns its wait status; a second call returns the same status.
  int stop();

  // The last `max_bytes` of the log, for failure messages.
  std::string log_tail(std::size_t max_bytes = 4000) const;

 private:
  ChildProcessOptions options_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int wait_status_ = 0;
};

struct CommandResult {
  int exit_code = -1;  // -1 when the command was killed by a signal.
  std::string output;  // stdout and stderr, interleaved.
};

// Runs a program to completion and returns its exit code and output.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& environment = {});

// A TCP port on 127.0.0.1 that was free when asked. Another process may take it before the
// caller binds it, which the loopback-only test setup makes unlikely.
int free_loopback_port();

// A new empty directory under the system temporary directory, removed by the destructor.
class TemporaryDirectory {
 public:
  explicit TemporaryDirectory(const std::string& prefix);
  ~TemporaryDirectory();
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace recsys::testing
