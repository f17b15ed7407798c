#pragma once

#include <string>
#include <vector>

#include "data/line_reader.hpp"
#include "data/loader.hpp"

namespace recsys {

// Applies the InvalidLinePolicy to the invalid lines of one file.
class InvalidLines {
 public:
  // `has_header` is true when the file format starts with a header line. In a file without one,
  // an invalid first line that starts with a letter is reported as a header line.
  InvalidLines(const LineReader& reader, InvalidLinePolicy policy, bool has_header)
      : file_(reader.file()), name_(reader.name()), policy_(policy), has_header_(has_header) {}

  // Rejects the line (throws recsys::InputError with `problem` and the fix) or counts it.
  void report(const Line& line, const std::string& problem);
  void report(long line_number, const std::string& problem);

  // Like report(), but a last line without a newline and with too few fields means the file
  // was cut, which is always an error.
  void report_field_count(const Line& line, std::size_t found, std::size_t expected);

  // Logs one warning with the count and the first problems, when lines were skipped.
  void log_summary() const;

  long count() const { return count_; }

 private:
  bool is_header(const Line& line) const;

  std::string file_;
  std::string name_;
  InvalidLinePolicy policy_;
  bool has_header_;
  long count_ = 0;
  std::vector<std::string> first_problems_;
};

}  // namespace recsys
