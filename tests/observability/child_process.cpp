#include "observability/child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace recsys::testing {
namespace {

// Checks for an exit every 100 ms; a process still running after the limit gets SIGKILL.
constexpr int kStopPolls = 100;
constexpr std::chrono::milliseconds kStopPollInterval{100};

std::string describe_errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// The test's environment with `overrides` applied, as NAME=VALUE strings.
std::vector<std::string> merged_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text(*entry);
    auto equals = text.find('=');
    if (equals != std::string::npos) {
      variables[text.substr(0, equals)] = text.substr(equals + 1);
    }
  }
  for (const auto& [name, value] : overrides) {
    variables[name] = value;
  }

  std::vector<std::string> result;
  result.reserve(variables.size());
  for (const auto& [name, value] : variables) {
    result.push_back(name + "=" + value);
  }
  return result;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& text : strings) {
    pointers.push_back(text.data());
  }
  pointers.push_back(nullptr);
  return pointers;
}

// Starts `argv` with stdout and stderr appended to `log_file` and stdin from /dev/null.
pid_t spawn(std::vector<std::string> argv,
            const std::vector<std::pair<std::string, std::string>>& environment,
            const std::filesystem::path& log_file) {
  if (argv.empty()) {
    throw std::invalid_argument("spawn: empty argv");
  }
  std::vector<std::string> variables = merged_environment(environment);
  std::vector<char*> argv_pointers = c_strings(argv);
  std::vector<char*> environment_pointers = c_strings(variables);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);

  pid_t pid = -1;
  int status = posix_spawnp(&pid, argv_pointers[0], &actions, nullptr, argv_pointers.data(),
                            environment_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  if (status != 0) {
    throw std::runtime_error("failed to start '" + argv[0] + "': " + std::strerror(status));
  }
  return pid;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

ChildProcess::ChildProcess(ChildProcessOptions options) : options_(std::move(options)) {
  pid_ = spawn(options_.argv, options_.environment, options_.log_file);
}

ChildProcess::~ChildProcess() {
  stop();
}

bool ChildProcess::running() {
  if (exited_) {
    return false;
  }
  pid_t result = waitpid(pid_, &wait_status_, WNOHANG);
  if (result == pid_) {
    exited_ = true;
  }
  return !exited_;
}

int ChildProcess::stop() {
  if (!running()) {
    return wait_status_;
  }
  kill(pid_, SIGTERM);
  for (int poll = 0; poll < kStopPolls && running(); ++poll) {
    std::this_thread::sleep_for(kStopPollInterval);
  }
  if (running()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &wait_status_, 0);
    exited_ = true;
  }
  return wait_status_;
}

std::string ChildProcess::log_tail(std::size_t max_bytes) const {
  std::string log = read_file(options_.log_file);
  if (log.size() > max_bytes) {
    log = "..." + log.substr(log.size() - max_bytes);
  }
  return log;
}

CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& environment) {
  TemporaryDirectory directory("recsys-command");
  auto log_file = directory.path() / "output.log";
  pid_t pid = spawn(argv, environment, log_file);

  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) {
      throw std::runtime_error(describe_errno("waitpid for '" + argv[0] + "' failed"));
    }
  }

  CommandResult result;
  result.exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  result.output = read_file(log_file);
  return result;
}

int free_loopback_port() {
  int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (socket_fd < 0) {
    throw std::runtime_error(describe_errno("socket() failed"));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(socket_fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::string message = describe_errno("binding a free port on 127.0.0.1 failed");
    close(socket_fd);
    throw std::runtime_error(message);
  }
  close(socket_fd);
  return ntohs(address.sin_port);
}

TemporaryDirectory::TemporaryDirectory(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error(describe_errno("mkdtemp '" + pattern + "' failed"));
  }
  path_ = pattern;
}

TemporaryDirectory::~TemporaryDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace recsys::testing
