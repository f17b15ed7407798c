#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "db/recommendation_queries.hpp"

namespace recsys::inference {

// Query parameters as the HTTP library decodes them (httplib::Params).
using QueryParameters = std::multimap<std::string, std::string>;

inline constexpr int kDefaultResults = 10;
inline constexpr int kMaxResultsPerRequest = 100;
// Ratings a new user may send: the half-star scale of the CSV releases, which contains the
// whole stars of ML-100k and ML-1M.
inline constexpr double kMinRating = 0.5;
inline constexpr double kMaxRating = 5.0;
inline constexpr int kMinYear = 0;
inline constexpr int kMaxYear = 9999;

// k and the filter of a recommendation or similar-movies request.
struct RecommendationQuery {
  int k = kDefaultResults;
  db::RecommendationFilter filter;
};

// A POST /recommendations body: the ratings of a person the model has not seen.
struct FoldInRequest {
  std::vector<std::pair<std::int64_t, double>> ratings;  // (movie id, rating), as sent.
  RecommendationQuery query;
};

// Parses a user or movie id from a path segment. Throws 400 when it is not a decimal
// integer and 404 when it is one that cannot exist (beyond 64 bits).
std::int64_t parse_id(const std::string& segment, const std::string& kind);

// Parses k, genre, year_from, year_to and (when `allow_include_rated`) include_rated.
// Throws 400 for unknown, repeated or unparsable parameters and 422 for values out of range
// or a genre not in `genres` (the check is skipped when `genres` is empty). Genre names match
// case-insensitively and are returned as the model spells them.
RecommendationQuery parse_recommendation_query(const QueryParameters& parameters,
                                               const std::vector<std::string>& genres,
                                               bool allow_include_rated);

// Parses a JSON body {"ratings": [{"movie_id": 50, "rating": 5}, ...], "k": 10, "genre": ...,
// "year_from": ..., "year_to": ...}. Throws 400 for malformed JSON (invalid UTF-8 included),
// wrong types and unknown fields, 422 for an empty rating list, a rating outside
// [kMinRating, kMaxRating], a movie rated twice or a value out of range.
FoldInRequest parse_fold_in_request(const std::string& body,
                                    const std::vector<std::string>& genres);

}  // namespace recsys::inference
