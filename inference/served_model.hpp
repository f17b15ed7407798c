#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "db/connection.hpp"
#include "db/recommendation_queries.hpp"
#include "inference/fold_in.hpp"

namespace recsys::inference {

// Everything the service keeps in memory about the published version it serves. Requests
// hold a shared_ptr to it, so a reload swaps in a new one without disturbing them.
struct ServedModel {
  db::ServedVersion version;
  FoldInModel fold_in;
  std::vector<std::string> genres;  // Genre names of the catalog, sorted.
  std::string loaded_at;            // UTC, ISO 8601.
  // mf only: where mu came from: "model" (recorded by recsys publish), "metrics" or
  // "estimated" (mean of the users' b_u + mu, for models that did not record it).
  std::string mean_rating_source;
};

// Reads the movie embeddings and genres of `version` from its publication schema and
// prepares the fold-in (Y^T Y for als). Throws db::DatabaseError when a query fails and
// recsys::Error when the stored embeddings do not fit the version's model type.
ServedModel load_served_model(db::Connection& connection, const db::ServedVersion& version);

}  // namespace recsys::inference
