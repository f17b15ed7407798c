#include "tracking/model_table.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "tracking/tag_names.hpp"

namespace recsys::tracking {

namespace {

std::string tag_or_dash(const Tags& tags, const std::string& key) {
  const auto found = tags.find(key);
  return found == tags.end() || found->second.empty() ? "-" : found->second;
}

std::string metric_cell(const Tags& tags, const std::string& metric) {
  const auto found = tags.find(kMetricTagPrefix + metric);
  if (found == tags.end()) {
    return "-";
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.4f", std::strtod(found->second.c_str(), nullptr));
  return text;
}

std::string utc_time(std::int64_t milliseconds) {
  const std::time_t seconds = static_cast<std::time_t>(milliseconds / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  const std::size_t length = std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M", &parts);
  return std::string(text, length);
}

std::string short_fingerprint(const std::string& fingerprint) {
  // "sha256:" and 12 hex digits identify a data set on screen.
  return fingerprint.size() > 19 ? fingerprint.substr(0, 19) : fingerprint;
}

}  // namespace

std::string format_model_versions_table(const std::vector<ModelVersion>& versions) {
  std::vector<std::string> header = {"MODEL", "VERSION", "ALIASES", "STATUS"};
  for (const std::string& metric : kTableMetrics) {
    header.push_back(metric);
  }
  for (const char* column : {"DATASET", "FINGERPRINT", "SPLIT", "RUN", "CREATED (UTC)"}) {
    header.push_back(column);
  }

  std::vector<std::vector<std::string>> rows = {header};
  for (const ModelVersion& version : versions) {
    std::string aliases;
    for (const std::string& alias : version.aliases) {
      aliases += (aliases.empty() ? "" : ",") + alias;
    }
    std::vector<std::string> row = {version.name, version.version, aliases.empty() ? "-" : aliases,
                                    to_string(version.status)};
    for (const std::string& metric : kTableMetrics) {
      row.push_back(metric_cell(version.tags, metric));
    }
    row.push_back(tag_or_dash(version.tags, kDatasetNameTag));
    row.push_back(short_fingerprint(tag_or_dash(version.tags, kDatasetFingerprintTag)));
    row.push_back(tag_or_dash(version.tags, kSplitTag));
    row.push_back(version.run_id.empty() ? "-" : version.run_id);
    row.push_back(utc_time(version.creation_timestamp));
    rows.push_back(row);
  }

  std::vector<std::size_t> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t column = 0; column < row.size(); ++column) {
      widths[column] = std::max(widths[column], row[column].size());
    }
  }
  std::string table;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t column = 0; column < row.size(); ++column) {
      line += row[column];
      if (column + 1 < row.size()) {
        line += std::string(widths[column] - row[column].size() + 2, ' ');
      }
    }
    table += line + "\n";
  }
  return table;
}

}  // namespace recsys::tracking
