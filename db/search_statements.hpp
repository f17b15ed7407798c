#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "db/connection.hpp"
#include "db/recommendation_queries.hpp"

namespace recsys::db {

// The two prepared forms of one search. Both take the same parameters: $1 the query (user
// id, vector text or movie id), $2 k, $3 genre, $4 year_from, $5 year_to, then the search's
// own ($6). The approximate form orders by the <#> operator so the HNSW index serves it;
// the exact form ranks by inner_product(), which no index serves, so every movie is scored.
struct SearchStatements {
  std::string approximate;
  std::string exact;
};

// Prepare the searches of a publication on this connection, once; later calls only return
// the names. $6 is include_rated (boolean) for the user search and the excluded movie ids
// (bigint[]) for the vector search; the similar-movies search has no $6.
SearchStatements prepare_user_search(Connection& connection, const ServedVersion& version);
SearchStatements prepare_vector_search(Connection& connection, const ServedVersion& version);
SearchStatements prepare_similar_search(Connection& connection, const ServedVersion& version);

// Returns $1 to $5 for a search.
Parameters search_parameters(std::string query, int k, const RecommendationFilter& filter);

// Converts the rows of a search (movie_id, title, year, genres JSON, score, candidates).
std::vector<RecommendedMovie> parse_recommendations(const Result& result);

struct SearchResult {
  std::vector<RecommendedMovie> movies;  // Best first.
  bool exact = false;                    // True when the exact form produced them.
};

// Runs the approximate search, and the exact one when the index scan found fewer than
// kCandidatesPerResult * k matching movies (see search_statements.cpp) and `allow_exact`.
// When the approximate search returned no row at all, which is also what an unknown user or
// movie in $1 gives, `before_exact` runs first: it throws to stop before a scan of every movie.
SearchResult run_search(Connection& connection, const SearchStatements& statements,
                        const Parameters& parameters, int k, bool allow_exact = true,
                        const std::function<void()>& before_exact = {});

}  // namespace recsys::db
