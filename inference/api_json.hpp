#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "db/recommendation_queries.hpp"

// cpp-httplib is included only where needed: its system headers define macros that break
// Eigen when they come first.
namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace recsys::inference {

// Sets `status` and a JSON body. Invalid UTF-8 (echoed client input, a damaged title) is
// replaced by U+FFFD instead of failing the response.
void write_json(httplib::Response& response, int status, const nlohmann::json& body);

// Writes {"error": {"code": code, "message": message}} with `status`.
void write_error(httplib::Response& response, int status, const std::string& code,
                 const std::string& message);

// [{"movie_id", "title", "year", "genres", "score"}, ...] in the given order; year is null
// for movies without one.
nlohmann::json items_json(const std::vector<db::RecommendedMovie>& items);

}  // namespace recsys::inference
