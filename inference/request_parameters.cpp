#include "inference/request_parameters.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "inference/api_error.hpp"

namespace recsys::inference {

std::string truncate_for_message(const std::string& text, std::size_t max_length) {
  if (text.size() <= max_length) {
    return text;
  }
  return text.substr(0, max_length) + "...";
}

namespace {

bool equal_ignoring_case(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Returns the integer in `text`, std::nullopt when `text` is not entirely a decimal integer.
// `out_of_range` is set when it is one but does not fit.
std::optional<std::int64_t> parse_integer(const std::string& text, bool& out_of_range) {
  out_of_range = false;
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || ptr != end) {
    return std::nullopt;
  }
  if (error == std::errc::result_out_of_range) {
    out_of_range = true;
    return std::nullopt;
  }
  if (error != std::errc()) {
    return std::nullopt;
  }
  return value;
}

int parse_int_in_range(const std::string& name, const std::string& text, int min, int max) {
  bool out_of_range = false;
  auto value = parse_integer(text, out_of_range);
  if (!value && !out_of_range) {
    throw bad_request("query parameter " + name + " must be an integer, got '" +
                      truncate_for_message(text) + "'");
  }
  if (out_of_range || *value < min || *value > max) {
    throw invalid_value(name + " must be between " + std::to_string(min) + " and " +
                        std::to_string(max) + ", got " + truncate_for_message(text));
  }
  return static_cast<int>(*value);
}

bool parse_bool(const std::string& name, const std::string& text) {
  if (text == "true" || text == "1") {
    return true;
  }
  if (text == "false" || text == "0") {
    return false;
  }
  throw bad_request("query parameter " + name + " must be true or false, got '" +
                    truncate_for_message(text) + "'");
}

std::string canonical_genre(const std::string& genre, const std::vector<std::string>& genres) {
  if (genres.empty()) {
    return genre;
  }
  for (const auto& known : genres) {
    if (equal_ignoring_case(genre, known)) {
      return known;
    }
  }
  std::string list;
  for (const auto& known : genres) {
    list += (list.empty() ? "" : ", ") + known;
  }
  throw invalid_value("unknown genre '" + truncate_for_message(genre) + "': use one of " + list);
}

void check_year_range(const db::RecommendationFilter& filter) {
  if (filter.year_from && filter.year_to && *filter.year_from > *filter.year_to) {
    throw invalid_value("year_from (" + std::to_string(*filter.year_from) +
                        ") must not be after year_to (" + std::to_string(*filter.year_to) + ")");
  }
}

}  // namespace

std::int64_t parse_id(const std::string& segment, const std::string& kind) {
  bool out_of_range = false;
  auto value = parse_integer(segment, out_of_range);
  if (out_of_range) {
    throw not_found(kind + " " + truncate_for_message(segment) + " not found");
  }
  if (!value) {
    throw bad_request(kind + " id must be an integer, got '" + truncate_for_message(segment) + "'");
  }
  return *value;
}

RecommendationQuery parse_recommendation_query(const QueryParameters& parameters,
                                               const std::vector<std::string>& genres,
                                               bool allow_include_rated) {
  RecommendationQuery query;
  std::string accepted = allow_include_rated ? "k, genre, year_from, year_to, include_rated"
                                             : "k, genre, year_from, year_to";

  for (auto it = parameters.begin(); it != parameters.end(); ++it) {
    const auto& [name, value] = *it;
    if (parameters.count(name) > 1) {
      throw bad_request("query parameter " + truncate_for_message(name) +
                        " is given more than once");
    }
    if (name == "k") {
      query.k = parse_int_in_range("k", value, 1, kMaxResultsPerRequest);
    } else if (name == "genre") {
      query.filter.genre = canonical_genre(value, genres);
    } else if (name == "year_from") {
      query.filter.year_from = parse_int_in_range("year_from", value, kMinYear, kMaxYear);
    } else if (name == "year_to") {
      query.filter.year_to = parse_int_in_range("year_to", value, kMinYear, kMaxYear);
    } else if (name == "include_rated" && allow_include_rated) {
      query.filter.include_rated = parse_bool("include_rated", value);
    } else {
      throw bad_request("unknown query parameter '" + truncate_for_message(name) +
                        "': accepted are " + accepted);
    }
  }
  check_year_range(query.filter);
  return query;
}

namespace {

int json_int_in_range(const nlohmann::json& value, const std::string& name, int min, int max) {
  if (!value.is_number_integer()) {
    throw bad_request("field " + name + " must be an integer");
  }
  // Non-negative JSON integers are stored unsigned; one beyond 63 bits is out of range.
  bool out_of_range = value.is_number_unsigned() &&
                      value.get<std::uint64_t>() >
                          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (out_of_range || value.get<std::int64_t>() < min || value.get<std::int64_t>() > max) {
    throw invalid_value(name + " must be between " + std::to_string(min) + " and " +
                        std::to_string(max) + ", got " + value.dump());
  }
  return static_cast<int>(value.get<std::int64_t>());
}

std::pair<std::int64_t, double> parse_rating(const nlohmann::json& item, std::size_t index) {
  std::string where = "ratings[" + std::to_string(index) + "]";
  if (!item.is_object()) {
    throw bad_request(where + " must be an object {\"movie_id\": ..., \"rating\": ...}");
  }
  for (const auto& [key, value] : item.items()) {
    if (key != "movie_id" && key != "rating") {
      throw bad_request("unknown field " + where + "." + truncate_for_message(key) +
                        ": accepted are movie_id and rating");
    }
  }
  auto movie_id = item.find("movie_id");
  auto rating = item.find("rating");
  if (movie_id == item.end() || rating == item.end()) {
    throw bad_request(where + " needs both movie_id and rating");
  }
  if (!movie_id->is_number_integer()) {
    throw bad_request(where + ".movie_id must be an integer");
  }
  if (!rating->is_number()) {
    throw bad_request(where + ".rating must be a number");
  }

  // An id beyond 64 bits names no movie; -1 is never a MovieLens id and reports it as unknown.
  std::int64_t id = -1;
  if (!movie_id->is_number_unsigned() ||
      movie_id->get<std::uint64_t>() <=
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    id = movie_id->get<std::int64_t>();
  }
  if (id <= 0) {
    throw invalid_value(where + ".movie_id " + movie_id->dump() + " is not a movie of the model");
  }

  double value = rating->get<double>();
  if (!std::isfinite(value) || value < kMinRating || value > kMaxRating) {
    throw invalid_value(where + ".rating must be between 0.5 and 5, got " + rating->dump());
  }
  return {id, value};
}

}  // namespace

FoldInRequest parse_fold_in_request(const std::string& body,
                                    const std::vector<std::string>& genres) {
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& error) {
    // parse_error for syntax and invalid UTF-8, out_of_range for a number like 1e400.
    throw bad_request(std::string("the body is not valid JSON: ") + error.what());
  }
  if (!document.is_object()) {
    throw bad_request("the body must be a JSON object with a \"ratings\" array");
  }

  FoldInRequest request;
  for (const auto& [key, value] : document.items()) {
    if (key == "ratings") {
      continue;
    }
    if (key == "k") {
      request.query.k = json_int_in_range(value, "k", 1, kMaxResultsPerRequest);
    } else if (key == "genre") {
      if (!value.is_string()) {
        throw bad_request("field genre must be a string");
      }
      request.query.filter.genre = canonical_genre(value.get<std::string>(), genres);
    } else if (key == "year_from") {
      request.query.filter.year_from = json_int_in_range(value, "year_from", kMinYear, kMaxYear);
    } else if (key == "year_to") {
      request.query.filter.year_to = json_int_in_range(value, "year_to", kMinYear, kMaxYear);
    } else {
      throw bad_request("unknown field '" + truncate_for_message(key) +
                        "': accepted are ratings, k, genre, year_from, year_to");
    }
  }
  check_year_range(request.query.filter);

  auto ratings = document.find("ratings");
  if (ratings == document.end()) {
    throw bad_request("the body needs a \"ratings\" array of {\"movie_id\", \"rating\"} objects");
  }
  if (!ratings->is_array()) {
    throw bad_request("field ratings must be an array");
  }
  if (ratings->empty()) {
    throw invalid_value("ratings must contain at least one rating");
  }

  std::set<std::int64_t> seen;
  for (std::size_t i = 0; i < ratings->size(); ++i) {
    auto rating = parse_rating((*ratings)[i], i);
    if (!seen.insert(rating.first).second) {
      throw invalid_value("movie " + std::to_string(rating.first) + " is rated more than once");
    }
    request.ratings.push_back(rating);
  }
  return request;
}

}  // namespace recsys::inference
