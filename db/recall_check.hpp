#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "db/connection.hpp"
#include "db/recommendation_queries.hpp"

namespace recsys::db {

struct RecallCheckOptions {
  int users = 200;              // Users sampled from the served version.
  int k = 10;                   // Recall@k.
  std::uint64_t seed = 42;      // Seed of the user sample.
  RecommendationFilter filter;  // Applied to both searches (genre, years, include_rated).
  SearchSettings settings;      // HNSW settings of the approximate search.
  // True measures what the service returns: the index, or the exact search where the index
  // scan found too few candidates. False measures the index alone.
  bool exact_fallback = true;
};

struct RecallCheckResult {
  ServedVersion version;
  int users = 0;  // Users measured.
  int k = 10;
  double mean_recall = 0.0;  // Mean over users of |approximate ∩ exact| / |exact|.
  double min_recall = 0.0;
  int exact_searches = 0;   // Searches the exact fallback answered.
  bool index_used = false;  // Whether the approximate plan scans the HNSW index.
  std::string plan;         // EXPLAIN ANALYZE of the first user's approximate search.
};

// Measures recall@k of the HNSW index against exact search for a sample of users of the
// served version, on the same prepared statements and fallback rule the service runs. The
// approximate search runs with sequential scans disabled so that the index is measured even
// where the planner would scan a small table. An approximate result counts as found when its score
// is at least the k-th exact score, so that ties between equal scores are not counted as misses.
// Throws recsys::Error when nothing is served.
RecallCheckResult check_recall(Connection& connection, const RecallCheckOptions& options);

}  // namespace recsys::db
