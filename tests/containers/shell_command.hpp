#pragma once

#include <string>

namespace recsys::testing {

struct ShellResult {
  int exit_code = -1;  // -1 when the shell was killed by a signal.
  std::string output;  // stdout and stderr, interleaved.
};

// Runs `command` with /bin/sh and returns its exit code and output.
ShellResult run_shell(const std::string& command);

// Quotes `text` as one shell word.
std::string shell_quote(const std::string& text);

}  // namespace recsys::testing
