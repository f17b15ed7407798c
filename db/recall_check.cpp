#include "db/recall_check.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "db/publication_tables.hpp"
#include "db/search_statements.hpp"

namespace recsys::db {

namespace {

// Returns the fraction of `exact` that `approximate` found, counting ties at the k-th score.
double recall_of(const std::vector<RecommendedMovie>& approximate,
                 const std::vector<RecommendedMovie>& exact) {
  if (exact.empty()) {
    return 1.0;
  }
  double threshold = exact.back().score;
  double tolerance = 1e-6 * std::max(1.0, std::abs(threshold));
  std::size_t found = 0;
  for (const auto& movie : approximate) {
    if (movie.score >= threshold - tolerance) {
      ++found;
    }
  }
  return static_cast<double>(std::min(found, exact.size())) / static_cast<double>(exact.size());
}

std::vector<std::int64_t> sample_users(Connection& connection, const ServedVersion& version,
                                       int count, std::uint64_t seed) {
  Result result =
      connection.execute("SELECT user_id FROM " + publication_schema(version.publication_id) +
                         ".users ORDER BY user_id");
  std::vector<std::int64_t> users;
  users.reserve(static_cast<std::size_t>(result.rows()));
  for (int row = 0; row < result.rows(); ++row) {
    users.push_back(result.int64(row, 0));
  }
  std::mt19937_64 generator(seed);
  std::shuffle(users.begin(), users.end(), generator);
  users.resize(std::min(users.size(), static_cast<std::size_t>(std::max(count, 0))));
  return users;
}

// Returns `value` as an SQL literal quoted by libpq, or NULL.
std::string literal_or_null(Connection& connection, const std::optional<std::string>& value) {
  if (!value) {
    return "NULL";
  }
  char* escaped = PQescapeLiteral(connection.get(), value->c_str(), value->size());
  if (escaped == nullptr) {
    throw DatabaseError(
        "quoting a parameter failed: " + std::string(PQerrorMessage(connection.get())), "", false);
  }
  std::string literal(escaped);
  PQfreemem(escaped);
  return literal;
}

// Returns EXPLAIN ANALYZE of the prepared statement with `parameters`, one line per row.
std::string explain(Connection& connection, const std::string& statement,
                    const Parameters& parameters) {
  std::string sql = "EXPLAIN (ANALYZE, COSTS OFF) EXECUTE " + statement + "(";
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    sql += (i > 0 ? ", " : "") + literal_or_null(connection, parameters[i]);
  }
  // EXPLAIN EXECUTE takes its parameters as literals, not as bound parameters.
  sql += ")";
  Result result = connection.execute(sql);
  std::string plan;
  for (int row = 0; row < result.rows(); ++row) {
    plan += std::string(result.text(row, 0)) + "\n";
  }
  return plan;
}

}  // namespace

RecallCheckResult check_recall(Connection& connection, const RecallCheckOptions& options) {
  if (options.users < 1) {
    throw Error("--users is " + std::to_string(options.users) + ": use 1 or more");
  }
  if (options.k < 1 || options.k > kMaxResults) {
    throw Error("--k is " + std::to_string(options.k) + ": use 1 to " +
                std::to_string(kMaxResults));
  }
  auto version = served_version(connection);
  if (!version) {
    throw Error("no version is served: publish one with recsys publish");
  }

  configure_session(connection, options.settings);
  connection.execute("SET enable_seqscan = off");
  auto statements = prepare_user_search(connection, *version);

  RecallCheckResult result;
  result.version = *version;
  result.k = options.k;
  result.min_recall = 1.0;
  double total = 0.0;
  for (std::int64_t user_id : sample_users(connection, *version, options.users, options.seed)) {
    Parameters parameters = search_parameters(std::to_string(user_id), options.k, options.filter);
    parameters.emplace_back(options.filter.include_rated ? "true" : "false");
    if (result.users == 0) {
      result.plan = explain(connection, statements.approximate, parameters);
      result.index_used = result.plan.find("movies_embedding_hnsw") != std::string::npos;
    }
    auto approximate =
        run_search(connection, statements, parameters, options.k, options.exact_fallback);
    result.exact_searches += approximate.exact ? 1 : 0;
    auto exact = parse_recommendations(connection.execute_prepared(statements.exact, parameters));
    double recall = recall_of(approximate.movies, exact);
    total += recall;
    result.min_recall = std::min(result.min_recall, recall);
    ++result.users;
  }
  connection.execute("RESET enable_seqscan");
  result.mean_recall = result.users > 0 ? total / result.users : 0.0;
  return result;
}

}  // namespace recsys::db
