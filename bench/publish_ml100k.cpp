// Measures `recsys publish` on MovieLens-100k-sized embeddings (1,682 movies, 943 users, 64
// dimensions, about 100,000 training ratings). It prints the time of the whole publish, index
// build included, and recall@10 of the HNSW index against exact search at hnsw.ef_search 40
// (pgvector's default), 100 and 200 (the service's default). Publishes into the database it
// is given: use a scratch database, for example one started with scripts/local-db.sh.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "db/migrations.hpp"
#include "db/publisher.hpp"
#include "db/recall_check.hpp"
#include "synthetic_model.hpp"

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Publish MovieLens-100k-sized embeddings and measure time and HNSW recall"};
  std::string database_url;
  std::string model_dir;
  int repeat = 5;
  app.add_option("--database-url", database_url,
                 "Scratch database to publish into (default: $RECSYS_BENCH_DATABASE_URL)");
  app.add_option("--model-dir", model_dir,
                 "Publish this trained model directory instead of synthetic embeddings");
  app.add_option("--repeat", repeat, "Publishes measured")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);

  if (database_url.empty()) {
    const char* url = std::getenv("RECSYS_BENCH_DATABASE_URL");
    database_url = url != nullptr ? url : "";
  }
  if (database_url.empty()) {
    std::cerr << "pass --database-url or set RECSYS_BENCH_DATABASE_URL to a scratch database\n";
    return 1;
  }

  try {
    auto model = model_dir.empty() ? recsys::bench::make_synthetic_model({})
                                   : recsys::read_model_directory(model_dir);
    recsys::db::Connection connection(database_url);
    recsys::db::migrate(connection, recsys::db::parse_migrations(recsys::db::migration_files()));

    std::cout << fmt::format("model: {} movies, {} users, {} dimensions, {} training ratings\n",
                             model.embeddings.movie_ids.size(), model.embeddings.user_ids.size(),
                             model.metadata.dimension, model.train_ratings.size());
    std::cout << "run  total_s  copy_s  index_s  verify_s\n";
    std::vector<double> totals;
    auto stamp = std::chrono::system_clock::now().time_since_epoch().count();
    for (int run = 1; run <= repeat; ++run) {
      recsys::db::PublishOptions options;
      options.model_name = "bench-ml100k";
      options.model_version = fmt::format("{}-{}", stamp, run);
      options.keep = 1;
      auto result = recsys::db::publish(connection, model, options);
      totals.push_back(result.total_seconds);
      std::cout << fmt::format("{:>3}  {:>7.3f}  {:>6.3f}  {:>7.3f}  {:>8.3f}\n", run,
                               result.total_seconds, result.copy_seconds, result.index_seconds,
                               result.verify_seconds);
    }
    std::cout << fmt::format("median publish time: {:.3f} s (target < 2 s)\n", median(totals));

    for (int ef_search : {40, 100, recsys::db::SearchSettings{}.ef_search}) {
      recsys::db::RecallCheckOptions check;
      check.users = static_cast<int>(model.embeddings.user_ids.size());
      check.settings.ef_search = ef_search;
      auto recall = recsys::db::check_recall(connection, check);
      std::cout << fmt::format(
          "recall@10 of the HNSW index vs exact, {} users, hnsw.ef_search = {}: mean {:.4f}, "
          "min {:.4f}, index used: {}\n",
          recall.users, ef_search, recall.mean_recall, recall.min_recall,
          recall.index_used ? "yes" : "no");
    }
  } catch (const std::exception& e) {
    std::cerr << "publish_ml100k: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
