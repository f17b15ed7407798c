#include "inference/router.hpp"

#include <httplib.h>

#include <algorithm>

#include "core/error.hpp"

namespace recsys::inference {

namespace {

// Splits "/a/b/" into {"a", "b", ""}; the leading slash is dropped, a trailing one kept as
// an empty segment so that "/healthz/" does not match "/healthz".
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.empty() || path.front() != '/') {
    return segments;
  }
  path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Matches `path` against `path_template`, filling `parameters` on success.
bool match(const std::string& path_template, const std::string& path, PathParameters& parameters) {
  auto expected = split_path(path_template);
  auto actual = split_path(path);
  if (expected.size() != actual.size() || actual.empty()) {
    return false;
  }
  PathParameters values;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (is_parameter(expected[i])) {
      if (actual[i].empty()) {
        return false;
      }
      values.emplace_back(actual[i]);
    } else if (expected[i] != actual[i]) {
      return false;
    }
  }
  parameters = std::move(values);
  return true;
}

}  // namespace

void Router::add(Route route) {
  if (route.path_template.empty() || route.path_template.front() != '/') {
    throw Error("route template '" + route.path_template + "' must start with '/'");
  }
  routes_.push_back(std::move(route));
}

Router::Lookup Router::find(const std::string& method, const std::string& path) const {
  Lookup lookup;
  const std::string& effective = method == "HEAD" ? std::string("GET") : method;
  for (const auto& route : routes_) {
    PathParameters parameters;
    if (!match(route.path_template, path, parameters)) {
      continue;
    }
    if (route.method == effective) {
      lookup.route = &route;
      lookup.parameters = std::move(parameters);
      lookup.allowed_methods.clear();
      return lookup;
    }
    if (std::find(lookup.allowed_methods.begin(), lookup.allowed_methods.end(), route.method) ==
        lookup.allowed_methods.end()) {
      lookup.allowed_methods.push_back(route.method);
    }
  }
  return lookup;
}

std::string Router::route_label(const std::string& method, const std::string& path) const {
  auto lookup = find(method, path);
  if (lookup.route != nullptr) {
    return lookup.route->path_template;
  }
  return kUnmatchedRoute;
}

}  // namespace recsys::inference
