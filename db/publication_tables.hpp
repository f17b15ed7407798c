#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "db/connection.hpp"
#include "train/model_directory.hpp"

namespace recsys::db {

// The tables of one publication, in the schema "publication_<id>":
//   movies (movie_id, title, year, genres, imdb_url, embedding vector(d))
//     every catalog movie; embedding is NULL for movies without training ratings. An HNSW
//     index (vector_ip_ops) on embedding serves the inner-product searches.
//   users (user_id, age, gender, occupation, zip_code, embedding vector(d), rated_movie_ids)
//     every user with an embedding; rated_movie_ids lists the movies the user rated in
//     training, sorted, so a query excludes them with one row read.
std::string publication_schema(std::int64_t publication_id);

// Called while a step runs: the step's name ("copy movies", "copy users", "build index",
// "verify", "analyze") and the rows sent so far (0 outside the COPY steps).
using ProgressCallback = std::function<void(std::string_view step, std::int64_t rows)>;

void create_publication_tables(Connection& connection, std::int64_t publication_id, int dimension);

// Loads the movies with binary COPY; returns the rows stored.
std::int64_t copy_movies(Connection& connection, std::int64_t publication_id,
                         const ModelDirectory& model, const ProgressCallback& progress);

// Loads the users with binary COPY; returns the rows stored.
std::int64_t copy_users(Connection& connection, std::int64_t publication_id,
                        const ModelDirectory& model, const ProgressCallback& progress);

struct HnswOptions {
  int m = 16;                // Neighbors per graph node (pgvector's default, 2..100).
  int ef_construction = 64;  // Candidate list while building (default 64, >= 2 * m, <= 1000).
};

void build_movie_index(Connection& connection, std::int64_t publication_id,
                       const HnswOptions& options);

// Compares the stored rows with the model: row counts, the number of training ratings and
// up to `sample_size` movie and user vectors, bit for bit. Throws recsys::Error naming the
// first mismatch.
void verify_publication(Connection& connection, std::int64_t publication_id,
                        const ModelDirectory& model, int sample_size);

void analyze_publication(Connection& connection, std::int64_t publication_id);

}  // namespace recsys::db
