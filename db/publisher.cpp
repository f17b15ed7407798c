#include "db/publisher.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "db/migrations.hpp"
#include "db/model_checks.hpp"

namespace recsys::db {

namespace {

// Key of the transaction-level advisory lock that serializes publish and rollback.
constexpr const char* kPublishLock = "SELECT pg_advisory_xact_lock(7353720002)";

// Returns SQL that formats a timestamptz column as UTC ISO 8601.
std::string utc_text(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void validate_options(const PublishOptions& options) {
  if (options.model_name.empty()) {
    throw Error("the model name is empty: pass --model-name");
  }
  if (options.model_version.empty()) {
    throw Error("the model version is empty: pass --model-version");
  }
  if (options.keep < 0) {
    throw Error("--keep is " + std::to_string(options.keep) + ": use 0 or more");
  }
  if (options.hnsw.m < 2 || options.hnsw.m > 100) {
    throw Error("--hnsw-m is " + std::to_string(options.hnsw.m) + ": use 2 to 100");
  }
  if (options.hnsw.ef_construction < 2 * options.hnsw.m || options.hnsw.ef_construction > 1000) {
    throw Error("--hnsw-ef-construction is " + std::to_string(options.hnsw.ef_construction) +
                ": use at least twice --hnsw-m (" + std::to_string(2 * options.hnsw.m) +
                ") and at most 1000");
  }
}

nlohmann::json metrics_json(const ModelDirectory& model) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [name, value] : model.metrics) {
    metrics[name] = value;
  }
  return metrics;
}

// Makes `publication_id` the served version; the served one, if any, gets `previous_state`.
void switch_served(Connection& connection, std::int64_t publication_id,
                   const std::string& previous_state) {
  connection.execute("UPDATE publications SET state = $1 WHERE state = 'served'", {previous_state});
  connection.execute(
      "UPDATE publications SET state = 'served', served_at = clock_timestamp() "
      "WHERE publication_id = $1",
      {std::to_string(publication_id)});
}

std::optional<std::int64_t> served_publication_id(Connection& connection) {
  Result result =
      connection.execute("SELECT publication_id FROM publications WHERE state = 'served'");
  if (result.rows() == 0) {
    return std::nullopt;
  }
  return result.int64(0, 0);
}

void insert_publication(Connection& connection, std::int64_t publication_id,
                        const ModelDirectory& model, const PublishOptions& options) {
  connection.execute(
      "INSERT INTO publications (publication_id, model_name, model_version, run_id, source, "
      "model_type, dimension, hyperparameters, metrics, dataset_name, dataset_fingerprint, "
      "movie_count, user_count, training_rating_count, hnsw_m, hnsw_ef_construction, "
      "mean_rating, published_at, served_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
      "$9, $10, $11, $12, $13, $14, $15, $16, $17, clock_timestamp(), clock_timestamp(), "
      "'served')",
      {std::to_string(publication_id), options.model_name, options.model_version, options.run_id,
       options.source, model.metadata.model_type, std::to_string(model.metadata.dimension),
       model.metadata.hyperparameters.dump(), metrics_json(model).dump(),
       model.metadata.dataset_name, model.metadata.dataset_fingerprint,
       std::to_string(model.movies.size()), std::to_string(model.embeddings.user_ids.size()),
       std::to_string(model.train_ratings.size()), std::to_string(options.hnsw.m),
       std::to_string(options.hnsw.ef_construction),
       model.metadata.mean_rating
           ? std::optional<std::string>(fmt::format("{}", *model.metadata.mean_rating))
           : std::nullopt});
}

}  // namespace

PublishResult publish(Connection& connection, const ModelDirectory& model,
                      const PublishOptions& options) {
  auto start = std::chrono::steady_clock::now();
  validate_options(options);
  check_publishable(model, options.model_directory);
  require_migrated(connection, parse_migrations(migration_files()));
  connection.execute("SET client_min_messages = warning");

  PublishResult result;
  Transaction transaction(connection);
  connection.execute(kPublishLock);
  result.previous_publication_id = served_publication_id(connection);

  Result existing = connection.execute(
      "SELECT publication_id, state FROM publications "
      "WHERE model_name = $1 AND model_version = $2 AND state <> 'retired'",
      {options.model_name, options.model_version});
  if (existing.rows() > 0) {
    result.publication_id = existing.int64(0, 0);
    if (existing.text(0, 1) == "served") {
      result.outcome = PublishOutcome::already_served;
      transaction.commit();
      return result;
    }
    switch_served(connection, result.publication_id, "standby");
    transaction.commit();
    result.outcome = PublishOutcome::served_again;
    result.retired = retire_superseded(connection, options.keep);
    result.total_seconds = seconds_since(start);
    return result;
  }

  // The new publication's id is taken now because it names the schema of its tables.
  result.publication_id = connection
                              .execute(
                                  "SELECT nextval(pg_get_serial_sequence("
                                  "'publications', 'publication_id'))")
                              .int64(0, 0);
  const std::int64_t id = result.publication_id;
  create_publication_tables(connection, id, model.metadata.dimension);

  auto step_start = std::chrono::steady_clock::now();
  copy_movies(connection, id, model, options.progress);
  copy_users(connection, id, model, options.progress);
  result.copy_seconds = seconds_since(step_start);

  if (options.progress) {
    options.progress("build index", 0);
  }
  step_start = std::chrono::steady_clock::now();
  build_movie_index(connection, id, options.hnsw);
  result.index_seconds = seconds_since(step_start);

  if (options.progress) {
    options.progress("verify", 0);
  }
  step_start = std::chrono::steady_clock::now();
  verify_publication(connection, id, model, options.verify_sample);
  result.verify_seconds = seconds_since(step_start);

  if (options.progress) {
    options.progress("analyze", 0);
  }
  analyze_publication(connection, id);

  if (options.progress) {
    options.progress("switch", 0);
  }
  connection.execute("UPDATE publications SET state = 'standby' WHERE state = 'served'");
  insert_publication(connection, id, model, options);
  transaction.commit();

  result.retired = retire_superseded(connection, options.keep);
  result.total_seconds = seconds_since(start);
  return result;
}

RollbackResult rollback(Connection& connection) {
  require_migrated(connection, parse_migrations(migration_files()));
  Transaction transaction(connection);
  connection.execute(kPublishLock);

  auto current = served_publication_id(connection);
  if (!current) {
    throw Error(
        "no version is served, so there is nothing to roll back: publish one with "
        "recsys publish");
  }
  Result target = connection.execute(
      "SELECT publication_id FROM publications WHERE state = 'standby' "
      "ORDER BY served_at DESC NULLS LAST, publication_id DESC LIMIT 1");
  if (target.rows() == 0) {
    throw Error("no earlier version is loaded to roll back to from publication " +
                std::to_string(*current) +
                " (versions left by --rollback or dropped by --keep are not targets): "
                "publish the version to serve with recsys publish");
  }

  RollbackResult result{*current, target.int64(0, 0)};
  switch_served(connection, result.to_publication_id, "rolled_back");
  transaction.commit();
  return result;
}

std::vector<PublicationRecord> list_publications(Connection& connection) {
  std::string published = utc_text("published_at");
  std::string served = utc_text("served_at");
  Result result = connection.execute(
      "SELECT publication_id, model_name, model_version, run_id, model_type, dimension, "
      "movie_count, user_count, state, " +
      published + ", coalesce(" + served + ", '') FROM publications ORDER BY publication_id DESC");

  std::vector<PublicationRecord> records;
  for (int row = 0; row < result.rows(); ++row) {
    PublicationRecord record;
    record.publication_id = result.int64(row, 0);
    record.model_name = result.text(row, 1);
    record.model_version = result.text(row, 2);
    record.run_id = result.text(row, 3);
    record.model_type = result.text(row, 4);
    record.dimension = static_cast<int>(result.int64(row, 5));
    record.movie_count = result.int64(row, 6);
    record.user_count = result.int64(row, 7);
    record.state = result.text(row, 8);
    record.published_at = result.text(row, 9);
    record.served_at = result.text(row, 10);
    records.push_back(std::move(record));
  }
  return records;
}

std::vector<std::int64_t> retire_superseded(Connection& connection, int keep) {
  Result superseded = connection.execute(
      "SELECT publication_id FROM publications WHERE state IN ('standby', 'rolled_back') "
      "ORDER BY served_at DESC NULLS LAST, publication_id DESC OFFSET $1",
      {std::to_string(keep)});

  std::vector<std::int64_t> retired;
  for (int row = 0; row < superseded.rows(); ++row) {
    std::int64_t id = superseded.int64(row, 0);
    try {
      Transaction transaction(connection);
      connection.execute(kPublishLock);
      // A rollback may have served this version since the SELECT above.
      Result state = connection.execute(
          "SELECT 1 FROM publications WHERE publication_id = $1 "
          "AND state IN ('standby', 'rolled_back')",
          {std::to_string(id)});
      if (state.rows() == 0) {
        continue;
      }
      connection.execute("SET LOCAL lock_timeout = '5s'");
      connection.execute("DROP SCHEMA IF EXISTS " + publication_schema(id) + " CASCADE");
      connection.execute(
          "UPDATE publications SET state = 'retired', retired_at = clock_timestamp() "
          "WHERE publication_id = $1",
          {std::to_string(id)});
      transaction.commit();
      retired.push_back(id);
      spdlog::info("retired publication {}: dropped schema {}", id, publication_schema(id));
    } catch (const DatabaseError& e) {
      if (e.connection_lost()) {
        throw;
      }
      spdlog::warn("could not drop {} now, the next publish retries: {}", publication_schema(id),
                   e.what());
    }
  }
  return retired;
}

}  // namespace recsys::db
