#include "observability/promql_sources.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <stdexcept>

namespace recsys::testing {
namespace {

// Matches label_values(SELECTOR, LABEL), Grafana's variable query form.
const std::regex kLabelValues(
    R"(^\s*label_values\s*\(\s*(.*)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$)");

std::string panel_origin(const nlohmann::json& panel) {
  return "panel '" + panel.value("title", std::string("(untitled)")) + "'";
}

void collect_panel_queries(const nlohmann::json& panels, std::vector<PromqlQuery>& queries) {
  for (const auto& panel : panels) {
    if (panel.contains("panels")) {
      collect_panel_queries(panel["panels"], queries);
    }
    if (!panel.contains("targets")) {
      continue;
    }
    for (const auto& target : panel["targets"]) {
      if (!target.contains("expr")) {
        continue;
      }
      PromqlQuery query;
      query.origin = panel_origin(panel) + " target " + target.value("refId", std::string("?"));
      query.expr = target["expr"].get<std::string>();
      query.must_return_data = true;
      queries.push_back(query);
    }
  }
}

// The query text of a template variable: a string in older dashboards, an object with a
// "query" field in current ones.
std::string variable_query_text(const nlohmann::json& variable) {
  const auto& query = variable.at("query");
  if (query.is_string()) {
    return query.get<std::string>();
  }
  return query.at("query").get<std::string>();
}

bool is_identifier_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}

bool is_identifier_char(char c) {
  return is_identifier_start(c) || std::isdigit(static_cast<unsigned char>(c));
}

// Returns the position after the string literal that starts at `open`.
std::size_t skip_string(const std::string& expr, std::size_t open) {
  char quote = expr[open];
  for (std::size_t i = open + 1; i < expr.size(); ++i) {
    if (expr[i] == '\\' && quote != '`') {
      ++i;
    } else if (expr[i] == quote) {
      return i + 1;
    }
  }
  return expr.size();
}

// Returns the position after the bracketed group that starts at `open`, skipping strings.
std::size_t skip_group(const std::string& expr, std::size_t open, char open_char, char close_char) {
  int depth = 0;
  std::size_t i = open;
  while (i < expr.size()) {
    char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = skip_string(expr, i);
      continue;
    }
    if (c == open_char) {
      ++depth;
    } else if (c == close_char && --depth == 0) {
      return i + 1;
    }
    ++i;
  }
  return expr.size();
}

std::size_t skip_spaces(const std::string& expr, std::size_t i) {
  while (i < expr.size() && std::isspace(static_cast<unsigned char>(expr[i]))) {
    ++i;
  }
  return i;
}

}  // namespace

std::vector<PromqlQuery> dashboard_queries(const nlohmann::json& dashboard) {
  std::vector<PromqlQuery> queries;
  collect_panel_queries(dashboard.value("panels", nlohmann::json::array()), queries);

  auto variables = dashboard.value("templating", nlohmann::json::object())
                       .value("list", nlohmann::json::array());
  for (const auto& variable : variables) {
    if (variable.value("type", std::string()) != "query") {
      continue;
    }
    std::string text = variable_query_text(variable);
    std::smatch match;
    PromqlQuery query;
    query.origin = "variable '" + variable.value("name", std::string("?")) + "'";
    query.must_return_data = true;
    if (std::regex_match(text, match, kLabelValues)) {
      query.expr = match[1].str();
      query.required_label = match[2].str();
    } else {
      query.expr = text;
    }
    queries.push_back(query);
  }
  return queries;
}

std::vector<PromqlQuery> rule_queries(const std::filesystem::path& rule_file) {
  YAML::Node root = YAML::LoadFile(rule_file.string());
  std::vector<PromqlQuery> queries;
  for (const auto& group : root["groups"]) {
    for (const auto& rule : group["rules"]) {
      PromqlQuery query;
      query.expr = rule["expr"].as<std::string>();
      if (rule["record"]) {
        query.origin = "recording rule " + rule["record"].as<std::string>();
        query.must_return_data = true;
      } else if (rule["alert"]) {
        query.origin = "alert " + rule["alert"].as<std::string>();
      } else {
        throw std::runtime_error(rule_file.string() + ": a rule in group '" +
                                 group["name"].as<std::string>() +
                                 "' has neither 'record' nor 'alert'");
      }
      queries.push_back(query);
    }
  }
  return queries;
}

std::string substitute_variables(const std::string& expr,
                                 const std::map<std::string, std::string>& values) {
  static const std::regex variable(
      R"(\$\{([A-Za-z0-9_]+)(?::[A-Za-z0-9_]+)?\}|\[\[([A-Za-z0-9_]+)\]\]|\$([A-Za-z0-9_]+))");
  std::string result;
  auto begin = std::sregex_iterator(expr.begin(), expr.end(), variable);
  std::size_t copied = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& match = *it;
    std::string name = match[1].matched   ? match[1].str()
                       : match[2].matched ? match[2].str()
                                          : match[3].str();
    result += expr.substr(copied, static_cast<std::size_t>(match.position(0)) - copied);
    auto value = values.find(name);
    result += value != values.end() ? value->second : match.str(0);
    copied = static_cast<std::size_t>(match.position(0) + match.length(0));
  }
  result += expr.substr(copied);
  return result;
}

std::string grafana_regex_escape(const std::string& value) {
  static const std::string metacharacters = R"($^*{}[]'+?.()|)";
  std::string result;
  for (char c : value) {
    if (c == '\\') {
      result += R"(\\\\)";
    } else if (metacharacters.find(c) != std::string::npos) {
      result += R"(\\)";
      result += c;
    } else {
      result += c;
    }
  }
  return result;
}

std::vector<std::string> metric_names(const std::string& expr) {
  // Aggregation operators are listed because "sum by (x) (...)" puts a word before "(".
  static const std::set<std::string> keywords = {
      "by",     "without", "on",    "ignoring",     "group_left", "group_right", "offset",
      "bool",   "and",     "or",    "unless",       "atan2",      "inf",         "nan",
      "Inf",    "NaN",     "sum",   "min",          "max",        "avg",         "group",
      "stddev", "stdvar",  "count", "count_values", "bottomk",    "topk",        "quantile"};
  static const std::set<std::string> label_list_keywords = {
      "by", "without", "on", "ignoring", "group_left", "group_right"};
  std::set<std::string> names;

  std::size_t i = 0;
  while (i < expr.size()) {
    char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = skip_string(expr, i);
      continue;
    }
    if (c == '{') {
      i = skip_group(expr, i, '{', '}');
      continue;
    }
    if (c == '[') {
      i = skip_group(expr, i, '[', ']');
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '$') {
      // Numbers (0.99, 1e3) and template variables are not metric names.
      ++i;
      while (i < expr.size() && (is_identifier_char(expr[i]) || expr[i] == '.')) {
        ++i;
      }
      continue;
    }
    if (!is_identifier_start(c)) {
      ++i;
      continue;
    }

    std::size_t start = i;
    while (i < expr.size() && is_identifier_char(expr[i])) {
      ++i;
    }
    std::string word = expr.substr(start, i - start);
    std::size_t next = skip_spaces(expr, i);
    if (label_list_keywords.count(word) != 0) {
      if (next < expr.size() && expr[next] == '(') {
        i = skip_group(expr, next, '(', ')');
      }
      continue;
    }
    bool is_call = next < expr.size() && expr[next] == '(';
    if (!is_call && keywords.count(word) == 0) {
      names.insert(word);
    }
  }
  return {names.begin(), names.end()};
}

}  // namespace recsys::testing
