// Compares `recsys publish` with PostgreSQL's own tools on MovieLens-32M-scale embeddings
// (87,000 movies, 200,000 users, 64 dimensions, 160 training ratings per user). It prints the
// COPY and HNSW index build times of our publish beside `psql \copy` of the same rows from
// text files and `CREATE INDEX` run by psql, in alternating rounds, and their medians. Publishes
// into the database it is given: use a scratch database, for example one started with
// scripts/local-db.sh. Needs psql on the PATH.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "db/migrations.hpp"
#include "db/publisher.hpp"
#include "db/vector_text.hpp"
#include "synthetic_model.hpp"

namespace {

namespace fs = std::filesystem;
using recsys::ModelDirectory;

std::span<const float> row_of(const recsys::RowMatrix& matrix, Eigen::Index row) {
  return {matrix.data() + row * matrix.cols(), static_cast<std::size_t>(matrix.cols())};
}

// Writes the movies and users in COPY's text format, the rows our publish loads.
void write_copy_files(const ModelDirectory& model, const fs::path& movies_file,
                      const fs::path& users_file) {
  std::ofstream movies(movies_file);
  for (std::size_t i = 0; i < model.movies.size(); ++i) {
    const auto& movie = model.movies[i];
    movies << movie.id << '\t' << movie.title << '\t' << *movie.year << "\t{";
    for (std::size_t g = 0; g < movie.genres.size(); ++g) {
      movies << (g > 0 ? "," : "") << '"' << movie.genres[g] << '"';
    }
    movies << "}\t" << movie.imdb_url << '\t'
           << recsys::db::format_vector_text(
                  row_of(model.embeddings.movies, static_cast<Eigen::Index>(i)))
           << '\n';
  }

  std::vector<std::vector<std::int64_t>> rated(model.embeddings.user_ids.size());
  for (const auto& [user, movie] : model.train_ratings) {
    rated[static_cast<std::size_t>(user)].push_back(
        model.embeddings.movie_ids[static_cast<std::size_t>(movie)]);
  }
  std::ofstream users(users_file);
  for (std::size_t u = 0; u < model.embeddings.user_ids.size(); ++u) {
    auto& ids = rated[u];
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    users << model.embeddings.user_ids[u] << "\t\\N\t\\N\t\\N\t\\N\t"
          << recsys::db::format_vector_text(
                 row_of(model.embeddings.users, static_cast<Eigen::Index>(u)))
          << "\t{";
    for (std::size_t r = 0; r < ids.size(); ++r) {
      users << (r > 0 ? "," : "") << ids[r];
    }
    users << "}\n";
  }
}

// Runs psql with one command and returns the wall time in seconds.
double timed_psql(const std::string& database_url, const std::string& command) {
  std::string shell =
      "psql -X -q -v ON_ERROR_STOP=1 -d '" + database_url + "' -c \"" + command + "\" >/dev/null";
  auto start = std::chrono::steady_clock::now();
  if (std::system(shell.c_str()) != 0) {
    throw std::runtime_error("psql failed: " + command);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string percent(double ours, double reference) {
  return fmt::format("{:+.1f} %", 100.0 * (ours - reference) / reference);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Returns the 1-minute load average. Other processes on a shared machine slow both sides of
// the comparison, but not always equally, so each round prints it.
std::string load_average() {
  std::ifstream file("/proc/loadavg");
  std::string one_minute;
  file >> one_minute;
  return one_minute.empty() ? "?" : one_minute;
}

struct ReferenceTimes {
  double copy_seconds = 0.0;
  double index_seconds = 0.0;
};

// Loads the same rows with psql \copy from the text files into tables shaped like a
// publication's, builds the same index with CREATE INDEX, then drops the tables.
ReferenceTimes run_reference(recsys::db::Connection& connection, const std::string& database_url,
                             const fs::path& directory, int dimension) {
  std::string vector_type = fmt::format("vector({})", dimension);
  connection.execute("DROP SCHEMA IF EXISTS bench_reference CASCADE");
  connection.execute("CREATE SCHEMA bench_reference");
  connection.execute(
      "CREATE TABLE bench_reference.movies (movie_id bigint PRIMARY KEY, "
      "title text NOT NULL, year integer, genres text[] NOT NULL, imdb_url "
      "text NOT NULL, embedding " +
      vector_type + ")");
  connection.execute(
      "CREATE TABLE bench_reference.users (user_id bigint PRIMARY KEY, age "
      "integer, gender text, occupation text, zip_code text, embedding " +
      vector_type + " NOT NULL, rated_movie_ids bigint[] NOT NULL)");

  ReferenceTimes times;
  times.copy_seconds = timed_psql(database_url, "\\copy bench_reference.movies FROM '" +
                                                    (directory / "movies.tsv").string() + "'") +
                       timed_psql(database_url, "\\copy bench_reference.users FROM '" +
                                                    (directory / "users.tsv").string() + "'");
  times.index_seconds = timed_psql(database_url,
                                   "CREATE INDEX ON bench_reference.movies USING hnsw (embedding "
                                   "vector_ip_ops) WITH (m = 16, ef_construction = 64)");
  connection.execute("DROP SCHEMA bench_reference CASCADE");
  return times;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Compare publish with psql \\copy and CREATE INDEX at MovieLens-32M scale"};
  std::string database_url;
  recsys::bench::SyntheticShape shape{
      .movies = 87'000, .users = 200'000, .dimension = 64, .clusters = 50, .ratings_per_user = 160};
  app.add_option("--database-url", database_url,
                 "Scratch database to publish into (default: $RECSYS_BENCH_DATABASE_URL)");
  app.add_option("--movies", shape.movies, "Movies")->capture_default_str();
  app.add_option("--users", shape.users, "Users")->capture_default_str();
  app.add_option("--dimension", shape.dimension, "Embedding dimension")->capture_default_str();
  app.add_option("--ratings-per-user", shape.ratings_per_user, "Training ratings per user")
      ->capture_default_str();
  int rounds = 3;
  app.add_option("--rounds", rounds, "Rounds of psql load then publish; medians are printed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);

  if (database_url.empty()) {
    const char* url = std::getenv("RECSYS_BENCH_DATABASE_URL");
    database_url = url != nullptr ? url : "";
  }
  if (database_url.empty() || database_url.find('\'') != std::string::npos) {
    std::cerr << "pass --database-url or set RECSYS_BENCH_DATABASE_URL to a scratch database "
                 "(a URL without single quotes)\n";
    return 1;
  }

  try {
    std::cout << fmt::format("generating {} movies, {} users, {} dimensions\n", shape.movies,
                             shape.users, shape.dimension);
    auto model = recsys::bench::make_synthetic_model(shape);
    fs::path directory = fs::temp_directory_path() / "recsys-publish-ml32m";
    fs::create_directories(directory);
    write_copy_files(model, directory / "movies.tsv", directory / "users.tsv");

    recsys::db::Connection connection(database_url);
    recsys::db::migrate(connection, recsys::db::parse_migrations(recsys::db::migration_files()));
    connection.execute("SET client_min_messages = warning");

    // The two loads alternate, so that a change in the machine's load hits both sides.
    std::cout << fmt::format("{:<6} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n", "round",
                             "load1", "copy_s", "psql_copy", "index_s", "psql_index", "verify_s",
                             "publish_s");
    std::vector<double> copy, reference_copy, index, reference_index, total;
    const auto stamp = std::chrono::system_clock::now().time_since_epoch().count();
    for (int round = 1; round <= rounds; ++round) {
      std::string load = load_average();
      auto reference = run_reference(connection, database_url, directory, shape.dimension);

      recsys::db::PublishOptions options;
      options.model_name = "bench-ml32m";
      options.model_version = fmt::format("{}-{}", stamp, round);
      options.keep = 0;
      auto result = recsys::db::publish(connection, model, options);

      std::cout << fmt::format(
          "{:<6} {:>8} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f}\n", round, load,
          result.copy_seconds, reference.copy_seconds, result.index_seconds,
          reference.index_seconds, result.verify_seconds, result.total_seconds);
      copy.push_back(result.copy_seconds);
      reference_copy.push_back(reference.copy_seconds);
      index.push_back(result.index_seconds);
      reference_index.push_back(reference.index_seconds);
      total.push_back(result.total_seconds);
    }
    fs::remove_all(directory);

    std::cout << fmt::format("\nmedians of {} rounds (target: publish within 10 % of psql)\n",
                             rounds);
    std::cout << fmt::format("{:<26} {:>10} {:>10} {:>10}\n", "step", "publish_s", "psql_s",
                             "difference");
    std::cout << fmt::format("{:<26} {:>10.2f} {:>10.2f} {:>10}\n", "COPY movies + users",
                             median(copy), median(reference_copy),
                             percent(median(copy), median(reference_copy)));
    std::cout << fmt::format("{:<26} {:>10.2f} {:>10.2f} {:>10}\n", "HNSW index (m 16, ef 64)",
                             median(index), median(reference_index),
                             percent(median(index), median(reference_index)));
    std::cout << fmt::format(
        "whole publish: {:.2f} s (the rest of it: checks of the model, CREATE TABLE, "
        "verification, ANALYZE, switch)\n",
        median(total));
  } catch (const std::exception& e) {
    std::cerr << "publish_ml32m: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
