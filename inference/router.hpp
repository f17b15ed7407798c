#pragma once

#include <functional>
#include <string>
#include <vector>

// cpp-httplib is included only where needed: its system headers define macros that break
// Eigen when they come first.
namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace recsys::inference {

// Route label of requests whose path matches no route, so that unknown paths cannot grow the
// metrics' label sets.
inline constexpr const char* kUnmatchedRoute = "unmatched";

// Values of the template's {parameters}, in template order.
using PathParameters = std::vector<std::string>;
using RouteHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const PathParameters&)>;

struct Route {
  std::string method;         // "GET" or "POST"; GET routes also answer HEAD.
  std::string path_template;  // "/movies/{movie_id}/similar": {name} matches one segment.
  std::string summary;        // One line for the OpenAPI description.
  RouteHandler handler;
};

// The routing table of the service. The HTTP server, the metrics labels and the OpenAPI
// description all read it, so they cannot disagree about which routes exist.
class Router {
 public:
  void add(Route route);

  struct Lookup {
    const Route* route = nullptr;  // Null when nothing matches method and path.
    PathParameters parameters;
    // Methods that a route with this path accepts, filled when only the method differs.
    std::vector<std::string> allowed_methods;
  };
  Lookup find(const std::string& method, const std::string& path) const;

  // Returns the template of the route matching `path` for `method`, or kUnmatchedRoute.
  std::string route_label(const std::string& method, const std::string& path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace recsys::inference
