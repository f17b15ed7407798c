#pragma once

#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace recsys::testing {

// How a recsys process ended, with everything it wrote to stdout and stderr.
struct ProcessResult {
  int exit_code = -1;  // -1 when a signal killed the process.
  int killed_by = 0;   // The signal that killed it, or 0.
  std::string output;  // stdout and stderr, interleaved.
};

// Runs the recsys program built with the tests (RECSYS_BINARY) in `working_directory`, with
// stdout and stderr sent to `output_file`.
class RecsysProcess {
 public:
  RecsysProcess(const std::vector<std::string>& arguments,
                const std::filesystem::path& working_directory, std::filesystem::path output_file)
      : output_file_(std::move(output_file)) {
    // Everything the child needs is built before fork, because the test process has threads
    // and the child may only make async-signal-safe calls.
    std::vector<std::string> argv_text{RECSYS_BINARY};
    argv_text.insert(argv_text.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (std::string& argument : argv_text) {
      argv.push_back(argument.data());
    }
    argv.push_back(nullptr);
    const std::string directory = working_directory.string();
    const std::string output = output_file_.string();

    pid_ = fork();
    if (pid_ < 0) {
      throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
      const int fd = open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int null_input = open("/dev/null", O_RDONLY);
      if (fd < 0 || null_input < 0 || chdir(directory.c_str()) != 0) {
        _exit(127);
      }
      dup2(null_input, STDIN_FILENO);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~RecsysProcess() {
    if (!waited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  RecsysProcess(const RecsysProcess&) = delete;
  RecsysProcess& operator=(const RecsysProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits for the process to end.
  ProcessResult wait() {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) {
        throw std::runtime_error("waitpid failed");
      }
    }
    waited_ = true;
    ProcessResult result;
    if (WIFEXITED(status)) {
      result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      result.killed_by = WTERMSIG(status);
    }
    std::ifstream in(output_file_);
    std::ostringstream text;
    text << in.rdbuf();
    result.output = text.str();
    return result;
  }

 private:
  std::filesystem::path output_file_;
  pid_t pid_ = -1;
  bool waited_ = false;
};

// Runs recsys with `arguments` in `working_directory` and waits for it.
inline ProcessResult run_recsys(const std::vector<std::string>& arguments,
                                const std::filesystem::path& working_directory) {
  static int counter = 0;
  const std::filesystem::path output =
      std::filesystem::temp_directory_path() /
      ("recsys-cli-output-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
  RecsysProcess process(arguments, working_directory, output);
  ProcessResult result = process.wait();
  std::filesystem::remove(output);
  return result;
}

}  // namespace recsys::testing
