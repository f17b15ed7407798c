#pragma once

#include <stdexcept>
#include <string>

namespace recsys {

// An error caused by input, configuration or the environment that the user can fix. The
// message says what failed, on which file, line, field or value, and what to do next; the
// command-line program prints it as is and exits with status 1.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An error in an input file, with the location prefixed to the message as "FILE:LINE: ".
class InputError : public Error {
 public:
  InputError(const std::string& file, long line, const std::string& message)
      : Error(file + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " + message),
        file_(file),
        line_(line) {}

  const std::string& file() const { return file_; }
  long line() const { return line_; }

 private:
  std::string file_;
  long line_;
};

}  // namespace recsys
