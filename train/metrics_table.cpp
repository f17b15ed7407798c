#include "train/metrics_table.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace recsys {

namespace {

std::size_t name_width(const std::map<std::string, double>& metrics) {
  std::size_t width = 6;  // "metric"
  for (const auto& [name, value] : metrics) {
    width = std::max(width, name.size());
  }
  return width;
}

}  // namespace

std::string format_metrics_table(const std::map<std::string, double>& metrics,
                                 const std::string& column) {
  const std::size_t width = name_width(metrics);
  std::string table = fmt::format("{:<{}}  {:>10}\n", "metric", width, column);
  for (const auto& [name, value] : metrics) {
    table += fmt::format("{:<{}}  {:>10.4f}\n", name, width, value);
  }
  return table;
}

std::string format_folds_table(const TrainingRunResult& result) {
  const std::size_t width = name_width(result.metrics);
  std::string table = fmt::format("{:<{}}  {:>17}", "metric", width, "mean ± sd");
  for (const auto& fold : result.folds) {
    table += fmt::format("  {:>8}", fold.split);
  }
  table += '\n';

  for (const auto& [name, mean] : result.metrics) {
    const auto sd = result.standard_deviation.find(name);
    const double deviation = sd == result.standard_deviation.end() ? 0.0 : sd->second;
    // "±" is two bytes but one column, so the mean column gets one byte more than it shows.
    table +=
        fmt::format("{:<{}}  {:>18}", name, width, fmt::format("{:.4f} ± {:.4f}", mean, deviation));
    for (const auto& fold : result.folds) {
      const auto value = fold.evaluation.metrics.find(name);
      if (value == fold.evaluation.metrics.end()) {
        table += fmt::format("  {:>8}", "-");
      } else {
        table += fmt::format("  {:>8.4f}", value->second);
      }
    }
    table += '\n';
  }
  return table;
}

}  // namespace recsys
