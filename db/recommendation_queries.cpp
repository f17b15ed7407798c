#include "db/recommendation_queries.hpp"

#include "db/publication_tables.hpp"
#include "db/search_statements.hpp"
#include "db/vector_text.hpp"

namespace recsys::db {

namespace {

// SQLSTATE of "relation does not exist".
constexpr const char* kUndefinedTable = "42P01";
// SQLSTATE of "column does not exist": a database migrated by an older recsys.
constexpr const char* kUndefinedColumn = "42703";

void validate_request(int k, const RecommendationFilter& filter) {
  if (k < 1 || k > kMaxResults) {
    throw InvalidRequestError("k is " + std::to_string(k) + ": use 1 to " +
                              std::to_string(kMaxResults));
  }
  if (filter.year_from && filter.year_to && *filter.year_from > *filter.year_to) {
    throw InvalidRequestError("year_from " + std::to_string(*filter.year_from) +
                              " is after year_to " + std::to_string(*filter.year_to));
  }
}

}  // namespace

void configure_session(Connection& connection, const SearchSettings& settings) {
  if (settings.ef_search < 1 || settings.ef_search > 1000) {
    throw Error("hnsw.ef_search is " + std::to_string(settings.ef_search) + ": use 1 to 1000");
  }
  if (settings.max_scan_tuples < 1) {
    throw Error("hnsw.max_scan_tuples is " + std::to_string(settings.max_scan_tuples) +
                ": use 1 or more");
  }
  // Using the vector type loads pgvector, so that the SETs below are checked by pgvector
  // instead of being kept as unchecked placeholders.
  connection.execute("SELECT '[1]'::vector");
  connection.execute("SET hnsw.ef_search = " + std::to_string(settings.ef_search));
  connection.execute(std::string("SET hnsw.iterative_scan = ") +
                     (settings.iterative_scan ? "relaxed_order" : "off"));
  connection.execute("SET hnsw.max_scan_tuples = " + std::to_string(settings.max_scan_tuples));
  // JIT compilation costs hundreds of milliseconds and pays off only for long analytic
  // queries; the exact scan over a large catalog would otherwise cross jit_above_cost.
  connection.execute("SET jit = off");
}

bool check_health(Connection& connection) {
  try {
    connection.prepare("health_check", "SELECT count(*) FROM publications WHERE false");
    connection.execute_prepared("health_check", {});
    return true;
  } catch (const DatabaseError& e) {
    // The caller handles a lost connection, for example a pool that reconnects. Only a
    // server that responds without a readable publications table is reported as false.
    if (e.connection_lost()) {
      throw;
    }
    return false;
  }
}

std::optional<ServedVersion> served_version(Connection& connection) {
  Result result;
  try {
    connection.prepare(
        "served_version",
        "SELECT publication_id, model_name, model_version, run_id, dimension, model_type, "
        "hyperparameters::text, metrics::text, "
        "to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "dataset_name, mean_rating FROM publications WHERE state = 'served'");
    result = connection.execute_prepared("served_version", {});
  } catch (const DatabaseError& e) {
    if (e.sqlstate() == kUndefinedTable) {
      throw Error("the database " + connection.description() +
                  " has no publications table: run recsys db migrate, then recsys publish");
    }
    if (e.sqlstate() == kUndefinedColumn) {
      throw Error("the database " + connection.description() +
                  " has an older recsys schema: run recsys db migrate");
    }
    throw;
  }
  if (result.rows() == 0) {
    return std::nullopt;
  }

  ServedVersion version;
  version.publication_id = result.int64(0, 0);
  version.model_name = result.text(0, 1);
  version.model_version = result.text(0, 2);
  version.run_id = result.text(0, 3);
  version.dimension = static_cast<int>(result.int64(0, 4));
  version.model_type = result.text(0, 5);
  version.hyperparameters = nlohmann::json::parse(result.text(0, 6));
  version.metrics = nlohmann::json::parse(result.text(0, 7));
  version.published_at = result.text(0, 8);
  version.dataset_name = result.text(0, 9);
  if (!result.is_null(0, 10)) {
    version.mean_rating = result.float64(0, 10);
  }
  return version;
}

std::vector<RecommendedMovie> recommend_for_user(Connection& connection,
                                                 const ServedVersion& version, std::int64_t user_id,
                                                 int k, const RecommendationFilter& filter) {
  validate_request(k, filter);
  auto statements = prepare_user_search(connection, version);

  Parameters parameters = search_parameters(std::to_string(user_id), k, filter);
  parameters.emplace_back(filter.include_rated ? "true" : "false");
  // An unknown user makes the index search return no row. The primary-key lookup separates
  // that from a filter that matches nothing before the exact search scores every movie.
  auto require_user = [&] {
    if (!user_exists(connection, version, user_id)) {
      throw NotFoundError("user " + std::to_string(user_id) + " is not in model version " +
                          version.model_version);
    }
  };
  return run_search(connection, statements, parameters, k, true, require_user).movies;
}

std::vector<RecommendedMovie> recommend_for_vector(
    Connection& connection, const ServedVersion& version, std::span<const float> vector, int k,
    const RecommendationFilter& filter, std::span<const std::int64_t> excluded_movie_ids) {
  validate_request(k, filter);
  if (static_cast<int>(vector.size()) != version.dimension) {
    throw InvalidRequestError("the vector has " + std::to_string(vector.size()) +
                              " dimensions where model version " + version.model_version + " has " +
                              std::to_string(version.dimension));
  }
  auto statements = prepare_vector_search(connection, version);

  std::string excluded = "{";
  for (std::size_t i = 0; i < excluded_movie_ids.size(); ++i) {
    excluded += (i > 0 ? "," : "") + std::to_string(excluded_movie_ids[i]);
  }
  excluded += "}";
  Parameters parameters = search_parameters(format_vector_text(vector), k, filter);
  parameters.emplace_back(std::move(excluded));
  return run_search(connection, statements, parameters, k).movies;
}

std::vector<RecommendedMovie> similar_movies(Connection& connection, const ServedVersion& version,
                                             std::int64_t movie_id, int k,
                                             const RecommendationFilter& filter) {
  validate_request(k, filter);
  auto statements = prepare_similar_search(connection, version);

  auto require_embedding = [&] {
    auto record = movie(connection, version, movie_id);
    if (!record) {
      throw NotFoundError("movie " + std::to_string(movie_id) + " is not in model version " +
                          version.model_version);
    }
    if (!record->has_embedding) {
      throw NotFoundError("movie " + std::to_string(movie_id) +
                          " has no embedding in model version " + version.model_version +
                          " (it had no training ratings)");
    }
  };
  return run_search(connection, statements, search_parameters(std::to_string(movie_id), k, filter),
                    k, true, require_embedding)
      .movies;
}

std::optional<MovieRecord> movie(Connection& connection, const ServedVersion& version,
                                 std::int64_t movie_id) {
  const std::string schema = publication_schema(version.publication_id);
  const std::string name = schema + "_movie";
  connection.prepare(name,
                     "SELECT movie_id, title, year, array_to_json(genres)::text, imdb_url, "
                     "embedding IS NOT NULL FROM " +
                         schema + ".movies WHERE movie_id = $1");
  Result result = connection.execute_prepared(name, {std::to_string(movie_id)});
  if (result.rows() == 0) {
    return std::nullopt;
  }

  MovieRecord record;
  record.movie_id = result.int64(0, 0);
  record.title = result.text(0, 1);
  if (!result.is_null(0, 2)) {
    record.year = static_cast<int>(result.int64(0, 2));
  }
  record.genres = nlohmann::json::parse(result.text(0, 3)).get<std::vector<std::string>>();
  record.imdb_url = result.text(0, 4);
  record.has_embedding = result.text(0, 5) == "t";
  return record;
}

bool user_exists(Connection& connection, const ServedVersion& version, std::int64_t user_id) {
  const std::string schema = publication_schema(version.publication_id);
  const std::string name = schema + "_user_exists";
  connection.prepare(name, "SELECT 1 FROM " + schema + ".users WHERE user_id = $1");
  return connection.execute_prepared(name, {std::to_string(user_id)}).rows() > 0;
}

std::optional<std::vector<float>> movie_embedding(Connection& connection,
                                                  const ServedVersion& version,
                                                  std::int64_t movie_id) {
  const std::string schema = publication_schema(version.publication_id);
  const std::string name = schema + "_movie_embedding";
  connection.prepare(name, "SELECT embedding::text FROM " + schema +
                               ".movies WHERE movie_id = $1 AND embedding IS NOT NULL");
  Result result = connection.execute_prepared(name, {std::to_string(movie_id)});
  if (result.rows() == 0) {
    return std::nullopt;
  }
  return parse_vector_text(result.text(0, 0));
}

}  // namespace recsys::db
