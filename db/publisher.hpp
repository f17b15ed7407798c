#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"
#include "db/publication_tables.hpp"
#include "train/model_directory.hpp"

namespace recsys::db {

// Which model version to publish and how.
struct PublishOptions {
  std::string model_name = "movielens-recommender";
  std::string model_version;  // Required; identifies the version together with model_name.
  std::string run_id;         // MLflow run id, "" when unknown.
  std::string source;         // The models:/ URI or directory, recorded for humans.
  std::filesystem::path model_directory;  // Directory the model came from, for errors; may be "".
  HnswOptions hnsw;
  int keep = 3;               // Superseded versions kept loaded for --rollback; older are dropped.
  int verify_sample = 100;    // Movie and user vectors compared bit for bit with the model.
  ProgressCallback progress;  // Optional; also called with step "switch" before the commit.
};

enum class PublishOutcome {
  published,       // Loaded and now served.
  already_served,  // The version was already served; nothing changed.
  served_again,    // The version was still loaded (standby or rolled back); it is served again.
};

struct PublishResult {
  PublishOutcome outcome = PublishOutcome::published;
  std::int64_t publication_id = 0;
  std::optional<std::int64_t> previous_publication_id;  // Served before, if any.
  std::vector<std::int64_t> retired;                    // Publications dropped by --keep.
  double copy_seconds = 0.0;
  double index_seconds = 0.0;
  double verify_seconds = 0.0;
  double total_seconds = 0.0;
};

// Publishes `model` and makes it the served version. Everything from the new schema to the
// switch of the served version is one transaction, so an error or a crash at any step leaves
// the previously served version intact and no partial tables behind. Superseded versions
// beyond options.keep are dropped after the commit. Throws recsys::Error for invalid options
// or a model that check_publishable (db/model_checks.hpp) rejects, before anything is written,
// and DatabaseError when a statement fails.
PublishResult publish(Connection& connection, const ModelDirectory& model,
                      const PublishOptions& options);

struct RollbackResult {
  std::int64_t from_publication_id = 0;  // Now in state rolled_back.
  std::int64_t to_publication_id = 0;    // Now served.
};

// Serves again the loaded version that was served most recently before the current one.
// Throws recsys::Error when nothing is served or no earlier version is loaded.
RollbackResult rollback(Connection& connection);

// A row of the publications table.
struct PublicationRecord {
  std::int64_t publication_id = 0;
  std::string model_name;
  std::string model_version;
  std::string run_id;
  std::string model_type;
  int dimension = 0;
  std::int64_t movie_count = 0;
  std::int64_t user_count = 0;
  std::string state;
  std::string published_at;
  std::string served_at;  // "" when never served.
};

// Returns every publication, newest first.
std::vector<PublicationRecord> list_publications(Connection& connection);

// Drops the schemas of superseded versions beyond the `keep` most recently served ones and
// marks them retired. Each drop is its own transaction with a lock timeout, so a long query
// on an old version only postpones that drop to the next publish. Returns the ids retired.
std::vector<std::int64_t> retire_superseded(Connection& connection, int keep);

}  // namespace recsys::db
