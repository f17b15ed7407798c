// Trains the default model on a synthetic data set the size of MovieLens 25M (162,000 users,
// 59,000 movies, 25 million ratings) and prints the wall time and peak resident memory.
// Movie popularity follows a Zipf-Mandelbrot law, p(rank r) ~ 1 / (r + 50). The most rated movie
// then gets about 0.2 % of the ratings (ML-25M: about 0.3 %). User activity is Pareto-tailed
// with at least 20 ratings per user, as in ML-25M.
//
//   scale_synthetic --factors 64 --iterations 10
#include <fmt/format.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <random>
#include <unordered_set>
#include <vector>

#include "core/logging.hpp"
#include "train/parallel.hpp"
#include "train/rating_matrix.hpp"
#include "train/recommender.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct ScaleOptions {
  int users = 162'000;
  int movies = 59'000;
  std::int64_t ratings = 25'000'000;
  std::string model = "als";
  int factors = 64;
  int iterations = 10;
  int threads = 0;
  std::uint64_t seed = 42;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Returns the CPU time of this process (user + system), which contention does not inflate.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double peak_rss_gib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / (1024.0 * 1024.0);  // ru_maxrss is in KiB.
}

// Returns each user's rating count: 20 plus a Pareto(1.5) draw, scaled so that the counts add
// up to options.ratings.
std::vector<std::int64_t> user_activity(const ScaleOptions& options) {
  std::mt19937_64 random(options.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> raw(static_cast<std::size_t>(options.users));
  double sum = 0.0;
  for (double& value : raw) {
    value = std::pow(1.0 - unit(random), -1.0 / 1.5);
    sum += value;
  }
  const double extra = static_cast<double>(options.ratings) - 20.0 * options.users;
  const auto cap = static_cast<std::int64_t>(options.movies / 5);
  std::vector<std::int64_t> counts(raw.size());
  for (std::size_t u = 0; u < raw.size(); ++u) {
    counts[u] = std::min(cap, 20 + static_cast<std::int64_t>(std::llround(raw[u] / sum * extra)));
  }

  // Capping and rounding lose ratings; hand them out one per user and pass until none is left.
  std::int64_t missing = options.ratings;
  for (std::int64_t count : counts) {
    missing -= count;
  }
  while (missing > 0) {
    const std::int64_t before = missing;
    for (std::size_t u = 0; u < counts.size() && missing > 0; ++u) {
      if (counts[u] < cap) {
        ++counts[u];
        --missing;
      }
    }
    if (missing == before) {
      break;  // Every user is at the cap.
    }
  }
  return counts;
}

// Draws the ratings; users are generated in parallel, each from its own seed.
std::vector<recsys::Rating> generate(const ScaleOptions& options) {
  const auto counts = user_activity(options);
  std::vector<std::int64_t> offsets(counts.size() + 1, 0);
  for (std::size_t u = 0; u < counts.size(); ++u) {
    offsets[u + 1] = offsets[u] + counts[u];
  }

  // Cumulative popularity of movie ranks; rank r is movie id r + 1.
  std::vector<double> cumulative(static_cast<std::size_t>(options.movies));
  double total = 0.0;
  for (int rank = 0; rank < options.movies; ++rank) {
    total += 1.0 / (rank + 1 + 50.0);
    cumulative[static_cast<std::size_t>(rank)] = total;
  }

  std::vector<recsys::Rating> ratings(static_cast<std::size_t>(offsets.back()));
  recsys::parallel_for(
      options.users, recsys::resolve_thread_count(options.threads), 256,
      [&](std::int64_t begin, std::int64_t end, int /*worker*/) {
        std::unordered_set<std::int64_t> chosen;
        for (std::int64_t u = begin; u < end; ++u) {
          std::mt19937_64 random(options.seed * 0x9E3779B97F4A7C15ULL +
                                 static_cast<std::uint64_t>(u));
          std::uniform_real_distribution<double> unit(0.0, total);
          std::normal_distribution<float> taste(3.5F, 1.0F);
          chosen.clear();
          std::int64_t k = offsets[u];
          while (k < offsets[u + 1]) {
            const auto rank = std::lower_bound(cumulative.begin(), cumulative.end(), unit(random)) -
                              cumulative.begin();
            const std::int64_t movie = std::min<std::int64_t>(rank, options.movies - 1) + 1;
            if (!chosen.insert(movie).second) {
              continue;
            }
            const float stars = std::clamp(std::round(taste(random) * 2.0F) / 2.0F, 0.5F, 5.0F);
            ratings[static_cast<std::size_t>(k++)] = {u + 1, movie, stars, 1'500'000'000};
          }
        }
      });
  return ratings;
}

int run(const ScaleOptions& options) {
  const auto start = Clock::now();
  auto phase = Clock::now();
  std::vector<recsys::Rating> ratings = generate(options);
  fmt::print("generated {} ratings of {} users and {} movies in {:.1f} s\n", ratings.size(),
             options.users, options.movies, seconds_since(phase));

  phase = Clock::now();
  recsys::CatalogIds catalog;
  for (int u = 1; u <= options.users; ++u) {
    catalog.user_ids.push_back(u);
  }
  for (int i = 1; i <= options.movies; ++i) {
    catalog.movie_ids.push_back(i);
  }
  const recsys::RatingMatrix matrix = recsys::build_rating_matrix(ratings, catalog);
  ratings = {};
  std::int64_t top_movie = 0;
  for (std::int64_t i = 0; i < matrix.movie_count(); ++i) {
    top_movie = std::max(top_movie, matrix.movie_offsets[i + 1] - matrix.movie_offsets[i]);
  }
  fmt::print("built the rating matrix in {:.1f} s; the most rated movie has {} ratings\n",
             seconds_since(phase), top_movie);

  phase = Clock::now();
  nlohmann::json hyperparameters = {{"factors", options.factors},
                                    {"iterations", options.iterations}};
  if (options.threads > 0) {
    hyperparameters["threads"] = options.threads;
  }
  auto model = recsys::make_recommender(options.model, hyperparameters);
  auto iteration_start = Clock::now();
  const auto embeddings = model->fit(matrix, [&](const recsys::TrainingProgress& progress) {
    fmt::print("iteration {}/{}: train_loss {:.5f} in {:.1f} s\n", progress.iteration,
               progress.iterations, progress.metrics.at("train_loss"),
               seconds_since(iteration_start));
    std::fflush(stdout);
    iteration_start = Clock::now();
  });
  fmt::print("trained {} ({}) in {:.1f} s: {} x {} user and {} x {} movie embeddings\n",
             options.model, model->hyperparameters().dump(), seconds_since(phase),
             embeddings.users.rows(), embeddings.users.cols(), embeddings.movies.rows(),
             embeddings.movies.cols());
  fmt::print("total wall time {:.1f} s, CPU time {:.1f} s, peak RSS {:.2f} GiB, {} threads\n",
             seconds_since(start), cpu_seconds(), peak_rss_gib(),
             recsys::resolve_thread_count(options.threads));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ScaleOptions options;
  CLI::App app{"Train on a synthetic data set of MovieLens 25M size; print time and memory"};
  app.add_option("--users", options.users, "Users")->capture_default_str();
  app.add_option("--movies", options.movies, "Movies")->capture_default_str();
  app.add_option("--ratings", options.ratings, "Ratings")->capture_default_str();
  app.add_option("--model", options.model, "als, mf or popularity")->capture_default_str();
  app.add_option("--factors", options.factors, "Latent factors")->capture_default_str();
  app.add_option("--iterations", options.iterations, "Iterations")->capture_default_str();
  app.add_option("--threads", options.threads, "Threads (default: every core)");
  app.add_option("--seed", options.seed, "Seed of the synthetic ratings")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    recsys::configure_logging("warn");
    return run(options);
  } catch (const std::exception& e) {
    std::cerr << "scale_synthetic: " << e.what() << '\n';
    return 1;
  }
}
