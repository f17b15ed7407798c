#include "data/invalid_lines.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cctype>

#include "core/error.hpp"
#include "data/fields.hpp"

namespace recsys {

namespace {

constexpr std::size_t kProblemsShown = 3;

}  // namespace

bool InvalidLines::is_header(const Line& line) const {
  return !has_header_ && line.number == 1 && !line.text.empty() &&
         std::isalpha(static_cast<unsigned char>(line.text.front())) != 0;
}

void InvalidLines::report(const Line& line, const std::string& problem) {
  if (is_header(line)) {
    report(line.number,
           fmt::format("found a header line {}, but {} has none", quote_value(line.text), name_));
    return;
  }
  report(line.number, problem);
}

void InvalidLines::report(long line_number, const std::string& problem) {
  if (policy_ == InvalidLinePolicy::kReject) {
    throw InputError(file_, line_number,
                     problem +
                         "; fix or remove the line, or load with --invalid-lines skip to "
                         "drop invalid lines");
  }
  ++count_;
  if (first_problems_.size() < kProblemsShown) {
    first_problems_.push_back(fmt::format("line {}: {}", line_number, problem));
  }
}

void InvalidLines::report_field_count(const Line& line, std::size_t found, std::size_t expected) {
  if (!line.terminated && found < expected) {
    throw InputError(file_, line.number,
                     fmt::format("the last line has {} of {} fields and no newline, so the file "
                                 "is truncated; download the release again",
                                 found, expected));
  }
  report(line, fmt::format("expected {} fields, found {}", expected, found));
}

void InvalidLines::log_summary() const {
  if (count_ == 0) {
    return;
  }
  spdlog::warn("{}: skipped {} invalid line(s); the first: {}", file_, count_,
               fmt::join(first_problems_, "; "));
}

}  // namespace recsys
