#include "db/publication_tables.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "db/binary_copy.hpp"
#include "db/vector_text.hpp"

namespace recsys::db {

namespace {

std::span<const float> row_of(const RowMatrix& matrix, std::size_t row) {
  return {matrix.data() + row * static_cast<std::size_t>(matrix.cols()),
          static_cast<std::size_t>(matrix.cols())};
}

// Returns the sorted, distinct movie ids each user row rated in training.
std::vector<std::vector<std::int64_t>> rated_movies_by_user(const ModelDirectory& model) {
  const auto& embeddings = model.embeddings;
  std::vector<std::vector<std::int64_t>> rated(embeddings.user_ids.size());
  for (const auto& [user_row, movie_row] : model.train_ratings) {
    rated[static_cast<std::size_t>(user_row)].push_back(
        embeddings.movie_ids[static_cast<std::size_t>(movie_row)]);
  }
  for (auto& movies : rated) {
    std::sort(movies.begin(), movies.end());
    movies.erase(std::unique(movies.begin(), movies.end()), movies.end());
  }
  return rated;
}

// Returns `count` row indices spread evenly over [0, rows).
std::vector<std::size_t> sample_rows(std::size_t rows, int count) {
  std::vector<std::size_t> sample;
  std::size_t wanted = std::min(rows, static_cast<std::size_t>(std::max(count, 0)));
  for (std::size_t i = 0; i < wanted; ++i) {
    sample.push_back(i * rows / wanted);
  }
  return sample;
}

std::string int64_array_literal(const std::vector<std::int64_t>& values) {
  std::string literal = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    literal += (i > 0 ? "," : "") + std::to_string(values[i]);
  }
  return literal + "}";
}

// Compares the stored vectors of `ids` (rows `rows` of `matrix`) with the model, bit for bit.
void verify_vectors(Connection& connection, const std::string& table, const std::string& id_column,
                    const std::vector<std::int64_t>& ids, const RowMatrix& matrix,
                    const std::vector<std::size_t>& rows) {
  std::vector<std::int64_t> sample_ids;
  std::unordered_map<std::int64_t, std::size_t> row_of_id;
  for (std::size_t row : rows) {
    sample_ids.push_back(ids[row]);
    row_of_id[ids[row]] = row;
  }
  Result result = connection.execute("SELECT " + id_column + ", embedding::text FROM " + table +
                                         " WHERE " + id_column + " = ANY($1::bigint[])",
                                     {int64_array_literal(sample_ids)});
  if (static_cast<std::size_t>(result.rows()) != row_of_id.size()) {
    throw Error("verification failed: " + table + " returned " + std::to_string(result.rows()) +
                " of " + std::to_string(row_of_id.size()) + " sampled rows");
  }

  for (int i = 0; i < result.rows(); ++i) {
    std::int64_t id = result.int64(i, 0);
    std::vector<float> stored = parse_vector_text(result.text(i, 1));
    auto expected = row_of(matrix, row_of_id.at(id));
    bool equal = stored.size() == expected.size() &&
                 std::memcmp(stored.data(), expected.data(), expected.size_bytes()) == 0;
    if (!equal) {
      throw Error("verification failed: the embedding of " + id_column + " " + std::to_string(id) +
                  " in " + table + " differs from the model files");
    }
  }
}

}  // namespace

std::string publication_schema(std::int64_t publication_id) {
  return "publication_" + std::to_string(publication_id);
}

void create_publication_tables(Connection& connection, std::int64_t publication_id, int dimension) {
  const std::string schema = publication_schema(publication_id);
  const std::string vector_type = "vector(" + std::to_string(dimension) + ")";
  connection.execute("CREATE SCHEMA " + schema);
  connection.execute("CREATE TABLE " + schema +
                     ".movies (\n"
                     "  movie_id bigint PRIMARY KEY,\n"
                     "  title text NOT NULL,\n"
                     "  year integer,\n"
                     "  genres text[] NOT NULL,\n"
                     "  imdb_url text NOT NULL,\n"
                     "  embedding " +
                     vector_type + ")");
  connection.execute("CREATE TABLE " + schema +
                     ".users (\n"
                     "  user_id bigint PRIMARY KEY,\n"
                     "  age integer,\n"
                     "  gender text,\n"
                     "  occupation text,\n"
                     "  zip_code text,\n"
                     "  embedding " +
                     vector_type +
                     " NOT NULL,\n"
                     "  rated_movie_ids bigint[] NOT NULL)");
}

std::int64_t copy_movies(Connection& connection, std::int64_t publication_id,
                         const ModelDirectory& model, const ProgressCallback& progress) {
  const auto& embeddings = model.embeddings;
  std::unordered_map<std::int64_t, std::size_t> embedding_row;
  for (std::size_t row = 0; row < embeddings.movie_ids.size(); ++row) {
    embedding_row[embeddings.movie_ids[row]] = row;
  }

  BinaryCopy copy(connection, "COPY " + publication_schema(publication_id) +
                                  ".movies (movie_id, title, year, genres, imdb_url, embedding) "
                                  "FROM STDIN (FORMAT binary)");
  if (progress) {
    copy.on_chunk_sent([&progress](std::int64_t rows) { progress("copy movies", rows); });
  }
  for (const Movie& movie : model.movies) {
    copy.begin_row(6);
    copy.add_int64(movie.id);
    copy.add_text(movie.title);
    if (movie.year) {
      copy.add_int32(*movie.year);
    } else {
      copy.add_null();
    }
    copy.add_text_array(movie.genres);
    copy.add_text(movie.imdb_url);
    if (auto found = embedding_row.find(movie.id); found != embedding_row.end()) {
      copy.add_vector(row_of(embeddings.movies, found->second));
    } else {
      copy.add_null();
    }
  }
  return copy.finish();
}

std::int64_t copy_users(Connection& connection, std::int64_t publication_id,
                        const ModelDirectory& model, const ProgressCallback& progress) {
  const auto& embeddings = model.embeddings;
  std::unordered_map<std::int64_t, const User*> demographics;
  for (const User& user : model.users) {
    demographics[user.id] = &user;
  }
  auto rated = rated_movies_by_user(model);

  BinaryCopy copy(connection, "COPY " + publication_schema(publication_id) +
                                  ".users (user_id, age, gender, occupation, zip_code, embedding, "
                                  "rated_movie_ids) FROM STDIN (FORMAT binary)");
  if (progress) {
    copy.on_chunk_sent([&progress](std::int64_t rows) { progress("copy users", rows); });
  }
  for (std::size_t row = 0; row < embeddings.user_ids.size(); ++row) {
    std::int64_t user_id = embeddings.user_ids[row];
    copy.begin_row(7);
    copy.add_int64(user_id);
    if (auto found = demographics.find(user_id); found != demographics.end()) {
      copy.add_int32(found->second->age);
      copy.add_text(found->second->gender);
      copy.add_text(found->second->occupation);
      copy.add_text(found->second->zip_code);
    } else {
      copy.add_null();
      copy.add_null();
      copy.add_null();
      copy.add_null();
    }
    copy.add_vector(row_of(embeddings.users, row));
    copy.add_int64_array(rated[row]);
  }
  return copy.finish();
}

void build_movie_index(Connection& connection, std::int64_t publication_id,
                       const HnswOptions& options) {
  const std::string schema = publication_schema(publication_id);
  connection.execute(
      "CREATE INDEX movies_embedding_hnsw ON " + schema +
      ".movies USING hnsw (embedding vector_ip_ops) WITH (m = " + std::to_string(options.m) +
      ", ef_construction = " + std::to_string(options.ef_construction) + ")");
}

void verify_publication(Connection& connection, std::int64_t publication_id,
                        const ModelDirectory& model, int sample_size) {
  const std::string schema = publication_schema(publication_id);
  const auto& embeddings = model.embeddings;

  Result movies =
      connection.execute("SELECT count(*), count(embedding) FROM " + schema + ".movies");
  std::int64_t expected_movies = static_cast<std::int64_t>(model.movies.size());
  std::int64_t expected_embedded = static_cast<std::int64_t>(embeddings.movie_ids.size());
  if (movies.int64(0, 0) != expected_movies || movies.int64(0, 1) != expected_embedded) {
    throw Error("verification failed: " + schema + ".movies has " + std::string(movies.text(0, 0)) +
                " rows and " + std::string(movies.text(0, 1)) + " embeddings where the model has " +
                std::to_string(expected_movies) + " and " + std::to_string(expected_embedded));
  }

  Result users = connection.execute(
      "SELECT count(*), coalesce(sum(cardinality(rated_movie_ids)), 0) FROM " + schema + ".users");
  std::int64_t expected_rated = 0;
  for (const auto& rated : rated_movies_by_user(model)) {
    expected_rated += static_cast<std::int64_t>(rated.size());
  }
  if (users.int64(0, 0) != static_cast<std::int64_t>(embeddings.user_ids.size()) ||
      users.int64(0, 1) != expected_rated) {
    throw Error("verification failed: " + schema + ".users has " + std::string(users.text(0, 0)) +
                " rows and " + std::string(users.text(0, 1)) +
                " rated movies where the model has " + std::to_string(embeddings.user_ids.size()) +
                " and " + std::to_string(expected_rated));
  }

  verify_vectors(connection, schema + ".movies", "movie_id", embeddings.movie_ids,
                 embeddings.movies, sample_rows(embeddings.movie_ids.size(), sample_size));
  verify_vectors(connection, schema + ".users", "user_id", embeddings.user_ids, embeddings.users,
                 sample_rows(embeddings.user_ids.size(), sample_size));
}

void analyze_publication(Connection& connection, std::int64_t publication_id) {
  const std::string schema = publication_schema(publication_id);
  connection.execute("ANALYZE " + schema + ".movies, " + schema + ".users");
}

}  // namespace recsys::db
