#include "inference/api_json.hpp"

#include <httplib.h>

namespace recsys::inference {

void write_json(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       "application/json");
}

void write_error(httplib::Response& response, int status, const std::string& code,
                 const std::string& message) {
  write_json(response, status, {{"error", {{"code", code}, {"message", message}}}});
}

nlohmann::json items_json(const std::vector<db::RecommendedMovie>& items) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& item : items) {
    array.push_back({{"movie_id", item.movie_id},
                     {"title", item.title},
                     {"year", item.year ? nlohmann::json(*item.year) : nlohmann::json(nullptr)},
                     {"genres", item.genres},
                     {"score", item.score}});
  }
  return array;
}

}  // namespace recsys::inference
