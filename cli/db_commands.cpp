#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/finite_range.hpp"
#include "data/fetch.hpp"
#include "data/sha256.hpp"
#include "db/connection.hpp"
#include "db/migrations.hpp"
#include "db/model_checks.hpp"
#include "db/publisher.hpp"
#include "db/recall_check.hpp"
#include "db/recommendation_queries.hpp"
#include "tracking/model_uri.hpp"

namespace recsys::cli {

namespace {

// Options of `recsys publish`.
struct PublishCommandOptions {
  std::string database_url;  // Empty: DATABASE_URL, else the PG* variables.
  std::string model_uri;     // models:/NAME@ALIAS, models:/NAME/VERSION, runs:/ or a path.
  std::string model_dir;     // A model directory written by `recsys train`.
  std::string tracking_uri;  // Empty: MLFLOW_TRACKING_URI, else ./mlruns.
  std::string cache_dir;     // Empty: default_data_dir(); models go to DIR/models/NAME/VERSION.
  std::string model_name = "movielens-recommender";
  std::string model_version;  // Empty with --model-dir: "local-" and a hash of the files.
  std::string run_id;
  int keep = 3;
  bool rollback = false;
  int hnsw_m = 16;
  int hnsw_ef_construction = 64;
};

// Options of `recsys db check-recall`.
struct CheckRecallOptions {
  std::string database_url;
  int users = 200;
  int k = 10;
  int ef_search = db::SearchSettings{}.ef_search;
  std::string genre;
  std::uint64_t seed = 42;
  double min_recall = 0.0;
  bool index_only = false;
};

void add_database_url_option(CLI::App& command, std::string& database_url) {
  command.add_option("--database-url", database_url,
                     "PostgreSQL connection URL (default: $DATABASE_URL, else libpq's PG* "
                     "variables)");
}

db::Connection connect(const std::string& option) {
  db::Connection connection(db::resolve_database_url(option));
  spdlog::debug("connected to {}", connection.description());
  return connection;
}

// Returns "local-" and the first 12 hex digits of the SHA-256 of the files that publish
// reads, so that publishing the same directory twice names the same version and an edited
// catalog names a new one.
std::string content_version(const std::filesystem::path& directory) {
  Sha256 hash;
  for (const char* name :
       {"model.json", "movie_embeddings.npy", "user_embeddings.npy", "id_maps.json",
        "train_ratings.npy", "catalog/movies.json", "catalog/users.json", "catalog/genres.json"}) {
    std::error_code error;
    if (std::filesystem::is_directory(directory / name, error)) {
      throw InputError((directory / name).string(), 0,
                       "is a directory: expected the model file; train the model again");
    }
    std::ifstream in(directory / name, std::ios::binary);
    if (!in) {
      throw InputError((directory / name).string(), 0,
                       "missing from the model directory: train the model again");
    }
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    hash.update(content);
  }
  return "local-" + hash.hex_digest().substr(0, 12);
}

void run_rollback(const PublishCommandOptions& options) {
  db::Connection connection = connect(options.database_url);
  auto result = db::rollback(connection);
  spdlog::info("rolled back from publication {} to publication {}", result.from_publication_id,
               result.to_publication_id);
  auto served = db::served_version(connection);
  if (served) {
    std::cout << fmt::format("serving {} version {} (publication {})\n", served->model_name,
                             served->model_version, served->publication_id);
  }
}

void run_publish(const PublishCommandOptions& options) {
  if (options.rollback) {
    run_rollback(options);
    return;
  }
  if (options.model_uri.empty() == options.model_dir.empty()) {
    throw Error("pass exactly one of --model (a models:/ URI) and --model-dir, or --rollback");
  }

  db::PublishOptions publish;
  publish.model_name = options.model_name;
  publish.model_version = options.model_version;
  publish.run_id = options.run_id;
  publish.keep = options.keep;
  publish.hnsw = {options.hnsw_m, options.hnsw_ef_construction};

  std::filesystem::path directory = options.model_dir;
  if (!directory.empty()) {
    publish.source = std::filesystem::absolute(directory).string();
  }
  if (!options.model_uri.empty()) {
    std::filesystem::path cache =
        options.cache_dir.empty() ? default_data_dir() : std::filesystem::path(options.cache_dir);
    auto resolved = tracking::resolve_model_uri(options.model_uri, cache, options.tracking_uri);
    spdlog::info("resolved {} to {}", options.model_uri, resolved.directory.string());
    directory = resolved.directory;
    publish.source = options.model_uri;
    // A registry URI names the version; a plain directory keeps --model-name and the hash.
    if (!resolved.name.empty()) {
      publish.model_name = resolved.name;
      publish.model_version = resolved.version;
    }
    if (!resolved.run_id.empty()) {
      publish.run_id = resolved.run_id;
    }
  }
  if (publish.model_version.empty()) {
    publish.model_version = content_version(directory);
  }

  spdlog::info("reading the model directory {}", directory.string());
  ModelDirectory model = db::read_model_for_publish(directory);
  publish.model_directory = directory;
  // Checked before connecting, so a bad model fails the same way with the database down.
  db::check_publishable(model, directory);
  if (model.metadata.model_type == "mf" && !model.metadata.mean_rating) {
    spdlog::warn(
        "{} records no mean_rating: the service will estimate the mean rating of this mf model "
        "for new users; train it again with this recsys to record it",
        (directory / "model.json").string());
  }

  std::string last_step;
  publish.progress = [&last_step](std::string_view step, std::int64_t rows) {
    if (step != last_step) {
      spdlog::info("publish: {}", step);
      last_step = step;
    } else if (rows > 0) {
      spdlog::debug("publish: {} ({} rows sent)", step, rows);
    }
  };

  spdlog::info("publishing {} version {}", publish.model_name, publish.model_version);
  db::Connection connection = connect(options.database_url);
  auto result = db::publish(connection, model, publish);
  switch (result.outcome) {
    case db::PublishOutcome::already_served:
      std::cout << fmt::format(
          "{} version {} is already published and served (publication {}); nothing to do\n",
          publish.model_name, publish.model_version, result.publication_id);
      break;
    case db::PublishOutcome::served_again:
      std::cout << fmt::format(
          "{} version {} was still loaded (publication {}); it is served again\n",
          publish.model_name, publish.model_version, result.publication_id);
      break;
    case db::PublishOutcome::published:
      std::cout << fmt::format(
          "published {} version {} as publication {} in {:.2f} s (COPY {:.2f} s, HNSW index "
          "{:.2f} s, verification {:.2f} s); it is now served\n",
          publish.model_name, publish.model_version, result.publication_id, result.total_seconds,
          result.copy_seconds, result.index_seconds, result.verify_seconds);
      break;
  }
  for (std::int64_t id : result.retired) {
    std::cout << fmt::format("dropped superseded publication {} (--keep {})\n", id, options.keep);
  }
}

void add_publish_command(CLI::App& app) {
  auto options = std::make_shared<PublishCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "publish",
      "Load a model version's embeddings into PostgreSQL (pgvector), build the HNSW index, "
      "verify it and serve it; or roll back to the previous version");
  add_database_url_option(*command, options->database_url);
  auto* model = command->add_option(
      "--model", options->model_uri,
      "Model to publish: models:/NAME@ALIAS or models:/NAME/VERSION from the MLflow registry "
      "(e.g. models:/movielens-recommender@champion), runs:/RUN_ID/PATH, or a directory");
  auto* model_dir = command->add_option("--model-dir", options->model_dir,
                                        "Model directory written by recsys train");
  model->excludes(model_dir);
  command->add_option("--tracking-uri", options->tracking_uri,
                      "MLflow tracking URI for --model (default: MLFLOW_TRACKING_URI, else "
                      "./mlruns)");
  command->add_option("--cache-dir", options->cache_dir,
                      "Where --model downloads models (default: $RECSYS_DATA_DIR, else "
                      "$XDG_CACHE_HOME/recsys, else ~/.cache/recsys)");
  command
      ->add_option("--model-name", options->model_name,
                   "Model name recorded for a directory (a models:/ URI names its own)")
      ->capture_default_str();
  command->add_option("--model-version", options->model_version,
                      "Model version recorded for a directory (default: local- and a hash of "
                      "the model and catalog files; a models:/ URI names its own)");
  command->add_option("--run-id", options->run_id,
                      "MLflow run id recorded for a directory (a models:/ URI names its own)");
  command
      ->add_option("--keep", options->keep,
                   "Superseded versions kept loaded for --rollback; older ones are dropped")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command
      ->add_flag("--rollback", options->rollback,
                 "Serve the version served before the current one again")
      ->excludes(model)
      ->excludes(model_dir);
  command
      ->add_option("--hnsw-m", options->hnsw_m,
                   "HNSW neighbors per node: more raise recall, memory and build time")
      ->capture_default_str()
      ->check(CLI::Range(2, 100));
  command
      ->add_option("--hnsw-ef-construction", options->hnsw_ef_construction,
                   "HNSW candidate list while building: more raise recall and build time; at "
                   "least 2 * --hnsw-m")
      ->capture_default_str()
      ->check(CLI::Range(4, 1000));
  command->callback([options] { run_publish(*options); });
}

void add_migrate_command(CLI::App& db_command) {
  auto database_url = std::make_shared<std::string>();
  CLI::App* command = db_command.add_subcommand(
      "migrate", "Create or update the database schema (db/migrations/*.sql)");
  add_database_url_option(*command, *database_url);
  command->callback([database_url] {
    db::Connection connection = connect(*database_url);
    auto report = db::migrate(connection, db::parse_migrations(db::migration_files()));
    for (const auto& name : report.applied) {
      std::cout << "applied " << name << '\n';
    }
    std::cout << fmt::format("schema is up to date on {}: {} migration(s) applied now, {} before\n",
                             connection.description(), report.applied.size(),
                             report.already_applied);
  });
}

void add_status_command(CLI::App& db_command) {
  auto database_url = std::make_shared<std::string>();
  CLI::App* command = db_command.add_subcommand(
      "status", "Print the served model version and every published version");
  add_database_url_option(*command, *database_url);
  command->callback([database_url] {
    db::Connection connection = connect(*database_url);
    db::require_migrated(connection, db::parse_migrations(db::migration_files()));
    auto served = db::served_version(connection);
    if (served) {
      std::cout << fmt::format(
          "served: {} version {} (publication {}, run {}, {} dimensions, "
          "published {})\n",
          served->model_name, served->model_version, served->publication_id,
          served->run_id.empty() ? "-" : served->run_id, served->dimension, served->published_at);
    } else {
      std::cout << "served: nothing; publish a model with recsys publish\n";
    }

    auto publications = db::list_publications(connection);
    if (publications.empty()) {
      return;
    }
    std::cout << fmt::format("\n{:>11}  {:<11}  {:<24}  {:<20}  {:<10}  {:>7}  {:>7}  {}\n",
                             "publication", "state", "model", "version", "type", "movies", "users",
                             "published_at");
    for (const auto& record : publications) {
      std::cout << fmt::format("{:>11}  {:<11}  {:<24}  {:<20}  {:<10}  {:>7}  {:>7}  {}\n",
                               record.publication_id, record.state, record.model_name,
                               record.model_version, record.model_type, record.movie_count,
                               record.user_count, record.published_at);
    }
  });
}

void add_check_recall_command(CLI::App& db_command) {
  auto options = std::make_shared<CheckRecallOptions>();
  CLI::App* command = db_command.add_subcommand(
      "check-recall",
      "Measure recall@k of the HNSW index against exact search for sampled users of the "
      "served version");
  add_database_url_option(*command, options->database_url);
  command->add_option("--users", options->users, "Users sampled")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--k", options->k, "Recommendations per user (recall@k)")
      ->capture_default_str()
      ->check(CLI::Range(1, db::kMaxResults));
  command->add_option("--ef-search", options->ef_search, "hnsw.ef_search of the index search")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  command->add_option("--genre", options->genre, "Also filter by this genre");
  command->add_option("--seed", options->seed, "Seed of the user sample")->capture_default_str();
  command->add_flag("--index-only", options->index_only,
                    "Measure the HNSW index alone, without the exact search the service runs "
                    "when the index finds too few candidates");
  command
      ->add_option("--min-recall", options->min_recall,
                   "Exit with status 1 when the mean recall is below this value")
      ->capture_default_str()
      ->check(finite_range(0.0, 1.0));

  command->callback([options] {
    db::Connection connection = connect(options->database_url);
    db::RecallCheckOptions check;
    check.users = options->users;
    check.k = options->k;
    check.seed = options->seed;
    check.settings.ef_search = options->ef_search;
    check.exact_fallback = !options->index_only;
    if (!options->genre.empty()) {
      check.filter.genre = options->genre;
    }
    auto result = db::check_recall(connection, check);

    spdlog::debug("plan of the first search:\n{}", result.plan);
    std::cout << fmt::format(
        "{} version {} (publication {}): recall@{} against exact search over {} users at "
        "hnsw.ef_search = {}{}: mean {:.4f}, min {:.4f}; HNSW index in the plan: {}; exact "
        "fallback: {} of {} searches\n",
        result.version.model_name, result.version.model_version, result.version.publication_id,
        result.k, result.users, options->ef_search,
        options->genre.empty() ? "" : ", genre " + options->genre, result.mean_recall,
        result.min_recall, result.index_used ? "yes" : "no", result.exact_searches, result.users);
    if (result.mean_recall < options->min_recall) {
      throw Error(
          fmt::format("mean recall@{} {:.4f} is below --min-recall {:.4f}: raise "
                      "--ef-search or rebuild with larger --hnsw-m",
                      result.k, result.mean_recall, options->min_recall));
    }
  });
}

}  // namespace

void add_db_commands(CLI::App& app) {
  CLI::App* db_command =
      app.add_subcommand("db", "Manage the PostgreSQL + pgvector embedding store");
  db_command->require_subcommand(1);
  add_migrate_command(*db_command);
  add_status_command(*db_command);
  add_check_recall_command(*db_command);
  add_publish_command(app);
}

}  // namespace recsys::cli
