#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace recsys::testing {

// One PromQL expression found in a dashboard or a rule file.
struct PromqlQuery {
  std::string origin;             // Where it was found, e.g. "panel 'Request rate' target A".
  std::string expr;               // As written, with template variables left in.
  bool must_return_data = false;  // Dashboard and recording rule queries must; alerts need not.
  // For a label_values() variable query: the label that every returned series must carry.
  std::string required_label;
};

// Every expression in a Grafana dashboard: each panel target (rows included, collapsed or
// not) and the selector of each label_values() template variable.
std::vector<PromqlQuery> dashboard_queries(const nlohmann::json& dashboard);

// Every expression in a Prometheus rule file: recording rules must return data, alert
// expressions need only parse.
std::vector<PromqlQuery> rule_queries(const std::filesystem::path& rule_file);

// Replaces Grafana template variables ($name, ${name}, ${name:format} and [[name]]) by the
// given values. Names not in `values` are left as they are.
std::string substitute_variables(const std::string& expr,
                                 const std::map<std::string, std::string>& values);

// Escapes a variable value the way Grafana's Prometheus data source does for a multi-value
// variable inside a regex matcher: regex metacharacters get a backslash, and the backslash
// is doubled because the value sits in a PromQL double-quoted string.
std::string grafana_regex_escape(const std::string& value);

// The metric names that an expression reads, found as identifiers followed by "{" or a
// range, or standing alone; PromQL keywords and function names are left out.
std::vector<std::string> metric_names(const std::string& expr);

}  // namespace recsys::testing
