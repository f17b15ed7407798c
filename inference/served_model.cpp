#include "inference/served_model.hpp"

#include <spdlog/spdlog.h>

#include <ctime>

#include "db/publication_tables.hpp"
#include "db/vector_text.hpp"

namespace recsys::inference {

namespace {

std::string utc_now_iso8601() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Returns mu of an mf model: the mean training rating that `recsys publish` recorded from the
// model directory, else a "mean_rating" metric of an older publication. Without either, it
// estimates mu as the mean over users of the folded column b_u + mu, off by the mean b_u.
double mean_rating_of(db::Connection& connection, const db::ServedVersion& version,
                      const std::string& schema, std::string& source) {
  if (version.mean_rating) {
    source = "model";
    return *version.mean_rating;
  }
  for (const char* key : {"mean_rating", "global_mean"}) {
    auto found = version.metrics.find(key);
    if (found != version.metrics.end() && found->is_number()) {
      source = "metrics";
      return found->get<double>();
    }
  }
  // Column factors (0-based) of [p_u, b_u + mu, 1] is element factors + 1 of the SQL array.
  int bias_element = version.dimension - 1;
  auto result = connection.execute("SELECT avg((embedding::real[])[" +
                                   std::to_string(bias_element) + "]) FROM " + schema + ".users");
  source = "estimated";
  return result.is_null(0, 0) ? 0.0 : result.float64(0, 0);
}

}  // namespace

ServedModel load_served_model(db::Connection& connection, const db::ServedVersion& version) {
  const std::string schema = db::publication_schema(version.publication_id);
  ServedModel model;
  model.version = version;
  model.loaded_at = utc_now_iso8601();

  auto rows = connection.execute("SELECT movie_id, embedding::text FROM " + schema +
                                 ".movies WHERE embedding IS NOT NULL ORDER BY movie_id");
  std::vector<std::int64_t> movie_ids;
  RowMatrix movies(rows.rows(), version.dimension);
  for (int row = 0; row < rows.rows(); ++row) {
    movie_ids.push_back(rows.int64(row, 0));
    auto values = db::parse_vector_text(rows.text(row, 1));
    if (static_cast<int>(values.size()) != version.dimension) {
      throw Error("publication " + std::to_string(version.publication_id) + ": movie " +
                  std::to_string(movie_ids.back()) + " has an embedding of dimension " +
                  std::to_string(values.size()) + ", expected " +
                  std::to_string(version.dimension));
    }
    for (int column = 0; column < version.dimension; ++column) {
      movies(row, column) = values[static_cast<std::size_t>(column)];
    }
  }

  auto genres =
      connection.execute("SELECT DISTINCT unnest(genres) FROM " + schema + ".movies ORDER BY 1");
  for (int row = 0; row < genres.rows(); ++row) {
    model.genres.emplace_back(genres.text(row, 0));
  }

  double mean_rating = 0.0;
  if (version.model_type == "mf") {
    mean_rating = mean_rating_of(connection, version, schema, model.mean_rating_source);
  }
  model.fold_in = make_fold_in_model(version.model_type, version.hyperparameters, version.dimension,
                                     std::move(movie_ids), std::move(movies), mean_rating);
  return model;
}

}  // namespace recsys::inference
