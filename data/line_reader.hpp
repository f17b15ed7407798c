#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "data/sha256.hpp"
#include "data/source.hpp"

namespace recsys {

// One line of a content file, without its "\n" or "\r\n".
struct Line {
  std::string_view text;   // Valid until the next call to LineReader::next.
  long number = 0;         // 1-based.
  bool terminated = true;  // False for a last line that ends without a newline.
};

// Reads a content file line by line through a fixed buffer (no copy of the whole file) and
// computes its SHA-256 on the way. Empty lines are skipped, since u.genre ends with one.
class LineReader {
 public:
  // Throws recsys::Error when the file is missing and recsys::InputError when it is empty.
  LineReader(const DataSource& source, const std::string& name);

  // Moves to the next non-empty line; returns false at the end of the file. Throws
  // recsys::InputError for stray bytes (control characters) after the last newline.
  bool next(Line& line);

  const std::string& name() const { return name_; }
  const std::string& file() const { return file_; }  // The path for messages.

  // The SHA-256 of the whole file, once next() has returned false.
  const std::string& sha256() const { return sha256_; }

 private:
  bool fill();

  std::string name_;
  std::string file_;
  std::unique_ptr<ContentReader> reader_;
  std::unique_ptr<char[]> buffer_;  // Not zero-filled: only [begin_, end_) is ever read.
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool at_end_ = false;
  long line_number_ = 0;
  std::uint64_t bytes_read_ = 0;
  Sha256 hash_;
  std::string sha256_;
};

}  // namespace recsys
