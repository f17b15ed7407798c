#include "db/search_statements.hpp"

#include <fmt/format.h>

#include "db/publication_tables.hpp"

namespace recsys::db {

namespace {

// The filter conditions shared by every search; $3 genre, $4 year_from, $5 year_to.
constexpr const char* kFilterConditions =
    "m.embedding IS NOT NULL "
    "AND ($3::text IS NULL OR $3::text = ANY (m.genres)) "
    "AND ($4::integer IS NULL OR m.year >= $4::integer) "
    "AND ($5::integer IS NULL OR m.year <= $5::integer)";

// Candidates the approximate search takes from the index per result it returns. The relaxed
// iterative scan returns matches only roughly best first, so the best k of 10k candidates
// are more often the true best k. Fewer than 10k candidates trigger the exact search.
constexpr int kCandidatesPerResult = 10;

// Builds a search over {schema}.movies m for the query vector `query`, an SQL expression
// without references to m (a parameter or a scalar subquery), so the planner evaluates it
// once and can hand it to the index scan. The materialized CTE keeps the planner from
// merging the two ORDER BYs, so the outer one sorts the candidates exactly.
std::string search_sql(const std::string& schema, const std::string& query,
                       const std::string& extra_conditions, bool exact) {
  std::string distance =
      exact ? "-inner_product(m.embedding, " + query + ")" : "m.embedding <#> " + query;
  std::string order_expression =
      exact ? "inner_product(m.embedding, " + query + ") DESC" : "m.embedding <#> " + query;
  int candidates_per_result = exact ? 1 : kCandidatesPerResult;
  return fmt::format(
      "WITH candidates AS MATERIALIZED (\n"
      "  SELECT m.movie_id, m.title, m.year, m.genres, {distance} AS distance\n"
      "  FROM {schema}.movies m\n"
      "  WHERE {query} IS NOT NULL AND {filters} {extra}\n"
      "  ORDER BY {order_expression}\n"
      "  LIMIT $2::integer * {candidates_per_result})\n"
      "SELECT movie_id, title, year, array_to_json(genres)::text, -distance AS score,\n"
      "  (SELECT count(*) FROM candidates) AS candidates\n"
      "FROM candidates ORDER BY distance, movie_id LIMIT $2::integer",
      fmt::arg("distance", distance), fmt::arg("schema", schema), fmt::arg("query", query),
      fmt::arg("filters", kFilterConditions), fmt::arg("extra", extra_conditions),
      fmt::arg("order_expression", order_expression),
      fmt::arg("candidates_per_result", candidates_per_result));
}

SearchStatements prepare_search(Connection& connection, const ServedVersion& version,
                                const std::string& kind, const std::string& query,
                                const std::string& extra_conditions) {
  const std::string schema = publication_schema(version.publication_id);
  SearchStatements names{schema + "_" + kind, schema + "_" + kind + "_exact"};
  connection.prepare(names.approximate, search_sql(schema, query, extra_conditions, false));
  connection.prepare(names.exact, search_sql(schema, query, extra_conditions, true));
  return names;
}

std::optional<std::string> optional_text(const std::optional<int>& value) {
  if (!value) {
    return std::nullopt;
  }
  return std::to_string(*value);
}

}  // namespace

SearchStatements prepare_user_search(Connection& connection, const ServedVersion& version) {
  const std::string schema = publication_schema(version.publication_id);
  // NOT IN over a subquery becomes a hashed subplan: the user's rated movies are read once
  // per query and each candidate costs one hash lookup.
  const std::string rated = fmt::format(
      "AND ($6::boolean OR m.movie_id NOT IN (SELECT unnest(r.rated_movie_ids) "
      "FROM {}.users r WHERE r.user_id = $1))",
      schema);
  return prepare_search(connection, version, "recommend_user",
                        "(SELECT u.embedding FROM " + schema + ".users u WHERE u.user_id = $1)",
                        rated);
}

SearchStatements prepare_vector_search(Connection& connection, const ServedVersion& version) {
  return prepare_search(connection, version, "recommend_vector", "$1::vector",
                        "AND m.movie_id NOT IN (SELECT unnest($6::bigint[]))");
}

SearchStatements prepare_similar_search(Connection& connection, const ServedVersion& version) {
  const std::string schema = publication_schema(version.publication_id);
  return prepare_search(connection, version, "similar_movies",
                        "(SELECT s.embedding FROM " + schema + ".movies s WHERE s.movie_id = $1)",
                        "AND m.movie_id <> $1");
}

Parameters search_parameters(std::string query, int k, const RecommendationFilter& filter) {
  return {std::move(query), std::to_string(k), filter.genre, optional_text(filter.year_from),
          optional_text(filter.year_to)};
}

std::vector<RecommendedMovie> parse_recommendations(const Result& result) {
  std::vector<RecommendedMovie> movies;
  movies.reserve(static_cast<std::size_t>(result.rows()));
  for (int row = 0; row < result.rows(); ++row) {
    RecommendedMovie movie;
    movie.movie_id = result.int64(row, 0);
    movie.title = result.text(row, 1);
    if (!result.is_null(row, 2)) {
      movie.year = static_cast<int>(result.int64(row, 2));
    }
    movie.genres = nlohmann::json::parse(result.text(row, 3)).get<std::vector<std::string>>();
    movie.score = result.float64(row, 4);
    movies.push_back(std::move(movie));
  }
  return movies;
}

// A short candidate list means that the iterative index scan ended before it found
// kCandidatesPerResult * k matches: at hnsw.max_scan_tuples, or because the inner-product
// graph does not lead to every movie. The best matches may then be among the movies it never
// returned, and scoring every movie is the only way to be sure.
SearchResult run_search(Connection& connection, const SearchStatements& statements,
                        const Parameters& parameters, int k, bool allow_exact,
                        const std::function<void()>& before_exact) {
  Result approximate = connection.execute_prepared(statements.approximate, parameters);
  std::int64_t candidates = approximate.rows() > 0 ? approximate.int64(0, 5) : 0;
  if (!allow_exact || candidates >= static_cast<std::int64_t>(k) * kCandidatesPerResult) {
    return {parse_recommendations(approximate), false};
  }
  if (approximate.rows() == 0 && before_exact) {
    before_exact();
  }
  return {parse_recommendations(connection.execute_prepared(statements.exact, parameters)), true};
}

}  // namespace recsys::db
