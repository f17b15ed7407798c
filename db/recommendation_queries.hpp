#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "db/connection.hpp"

namespace recsys::db {

// A user or movie id that the served version does not contain (the service responds with 404).
class NotFoundError : public Error {
 public:
  using Error::Error;
};

// A request the query layer rejects before it reaches the database: k out of range, a
// vector of the wrong dimension, a year range with year_from > year_to (the service responds
// with 400).
class InvalidRequestError : public Error {
 public:
  using Error::Error;
};

// A published model version, as recorded in the publications table. Each publication keeps
// its movies, users and embeddings in the schema "publication_<publication_id>".
struct ServedVersion {
  std::int64_t publication_id = 0;
  std::string model_name;
  std::string model_version;
  std::string run_id;
  int dimension = 0;
  std::string model_type;  // "als", "mf" or "popularity".
  nlohmann::json hyperparameters = nlohmann::json::object();
  nlohmann::json metrics = nlohmann::json::object();
  std::string published_at;  // UTC, ISO 8601.
  std::string dataset_name;
  std::optional<double> mean_rating;  // mf: the mean training rating, when recorded.
};

// Restricts the movies a recommendation may return.
struct RecommendationFilter {
  std::optional<std::string> genre;  // Exact genre name, e.g. "Comedy".
  std::optional<int> year_from;      // Inclusive; movies without a year never match a range.
  std::optional<int> year_to;        // Inclusive.
  bool include_rated = false;        // Also return movies the user rated in training.
};

struct RecommendedMovie {
  std::int64_t movie_id = 0;
  std::string title;
  std::optional<int> year;
  std::vector<std::string> genres;
  double score = 0.0;  // Inner product of the user (or query) and movie embeddings.
};

struct MovieRecord {
  std::int64_t movie_id = 0;
  std::string title;
  std::optional<int> year;
  std::vector<std::string> genres;
  std::string imdb_url;
  bool has_embedding = false;  // False for catalog movies that had no training ratings.
};

// Session settings of the HNSW search. Recall@10 against exact search is measured by
// `recsys db check-recall`; the defaults keep it at or above 0.99 on MovieLens-sized data.
struct SearchSettings {
  int ef_search = 200;          // hnsw.ef_search: candidate list size, 1..1000.
  int max_scan_tuples = 20000;  // hnsw.max_scan_tuples: iterative scan limit per query.
  // hnsw.iterative_scan: relaxed_order when true, off when false (then a filtered search
  // falls back to the exact scan more often).
  bool iterative_scan = true;
};

// Largest k any query accepts.
inline constexpr int kMaxResults = 1000;

// Sets the HNSW session settings (ef_search, iterative scan, max_scan_tuples) and turns JIT
// compilation off on a new connection. Call once per connection before the first query; the
// prepared statements are created on first use and cached by the Connection.
void configure_session(Connection& connection, const SearchSettings& settings = {});

// Returns true when the connection runs a query on the publications table, false when the
// server responds with an error (no such table, no permission). Throws the DatabaseError,
// with connection_lost() true, when the connection is broken, so that a pool replaces it.
bool check_health(Connection& connection);

// Returns the version currently served, or std::nullopt when nothing is published yet.
std::optional<ServedVersion> served_version(Connection& connection);

// Returns the k movies with the highest score for the user, best first. Movies the user
// rated in training are left out unless filter.include_rated. The user's embedding is read
// inside the same statement. Returns fewer than k rows only when fewer movies match.
// Throws NotFoundError for an unknown user, InvalidRequestError for a bad k or filter.
std::vector<RecommendedMovie> recommend_for_user(Connection& connection,
                                                 const ServedVersion& version, std::int64_t user_id,
                                                 int k, const RecommendationFilter& filter);

// Returns the k movies with the highest inner product with `vector` (for example a new
// user's folded-in embedding), best first, leaving out `excluded_movie_ids`.
// filter.include_rated is ignored. Throws InvalidRequestError when vector.size() differs
// from version.dimension.
std::vector<RecommendedMovie> recommend_for_vector(
    Connection& connection, const ServedVersion& version, std::span<const float> vector, int k,
    const RecommendationFilter& filter, std::span<const std::int64_t> excluded_movie_ids = {});

// Returns the k movies whose embeddings have the highest inner product with the movie's
// embedding, the movie itself left out. Throws NotFoundError for an unknown movie or a
// movie without embedding.
std::vector<RecommendedMovie> similar_movies(Connection& connection, const ServedVersion& version,
                                             std::int64_t movie_id, int k,
                                             const RecommendationFilter& filter = {});

// Returns the movie's catalog entry in the served version, std::nullopt when unknown.
std::optional<MovieRecord> movie(Connection& connection, const ServedVersion& version,
                                 std::int64_t movie_id);

bool user_exists(Connection& connection, const ServedVersion& version, std::int64_t user_id);

// Returns the movie embedding (version.dimension values), std::nullopt for an unknown movie
// or a movie without embedding.
std::optional<std::vector<float>> movie_embedding(Connection& connection,
                                                  const ServedVersion& version,
                                                  std::int64_t movie_id);

}  // namespace recsys::db
