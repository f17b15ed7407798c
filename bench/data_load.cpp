// Measures how fast the data stage loads and splits MovieLens releases: the real ML-100k (from
// ML100K_DIR) and a synthetic CSV release the size of ML-25M or any --csv-ratings count.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "data/loader.hpp"
#include "data/split.hpp"

namespace {

namespace fs = std::filesystem;

std::int64_t csv_ratings = 25'000'000;
fs::path csv_dir;

// Writes a CSV release with `count` ratings sorted by (user, movie), as in ML-25M (about 155
// ratings per user over 62,000 movies).
void write_synthetic_csv(const fs::path& dir, std::int64_t count) {
  constexpr std::int64_t kMovies = 62'000;
  constexpr std::int64_t kRatingsPerUser = 155;
  fs::create_directories(dir);

  std::ofstream movies(dir / "movies.csv");
  movies << "movieId,title,genres\n";
  for (std::int64_t movie = 1; movie <= kMovies; ++movie) {
    movies << movie << ",\"Movie " << movie << ", The (2000)\",Drama|Comedy\n";
  }

  std::ofstream ratings(dir / "ratings.csv");
  ratings << "userId,movieId,rating,timestamp\n";
  std::mt19937_64 random(1);
  std::int64_t written = 0;
  for (std::int64_t user = 1; written < count; ++user) {
    std::int64_t movie = 0;
    for (std::int64_t k = 0; k < kRatingsPerUser && written < count; ++k, ++written) {
      movie += 1 + static_cast<std::int64_t>(random() % 400);
      if (movie > kMovies) {
        break;
      }
      ratings << user << ',' << movie << ',' << 0.5 * static_cast<double>(1 + random() % 10) << ','
              << 1'000'000'000 + static_cast<std::int64_t>(random() % 500'000'000) << '\n';
    }
  }
}

recsys::Dataset load(const fs::path& path) {
  recsys::LoadOptions options;
  options.path = path;
  return recsys::load_dataset(options);
}

void BM_LoadMl100k(benchmark::State& state) {
  const char* dir = std::getenv("ML100K_DIR");
  if (dir == nullptr) {
    state.SkipWithError("set ML100K_DIR to the MovieLens 100k folder");
    return;
  }
  std::size_t ratings = 0;
  for (auto _ : state) {
    ratings = load(dir).ratings.size();
  }
  state.counters["ratings/s"] = benchmark::Counter(static_cast<double>(ratings),
                                                   benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_LoadMl100k)->Unit(benchmark::kMillisecond);

void BM_SplitMl100k(benchmark::State& state, const std::string& method) {
  const char* dir = std::getenv("ML100K_DIR");
  if (dir == nullptr) {
    state.SkipWithError("set ML100K_DIR to the MovieLens 100k folder");
    return;
  }
  recsys::Dataset dataset = load(dir);
  recsys::SplitOptions options;
  options.method = method;
  for (auto _ : state) {
    benchmark::DoNotOptimize(recsys::make_split(dataset, options));
  }
}
BENCHMARK_CAPTURE(BM_SplitMl100k, u1, std::string("u1"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SplitMl100k, random, std::string("random"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SplitMl100k, temporal, std::string("temporal"))->Unit(benchmark::kMillisecond);

void BM_LoadSyntheticCsv(benchmark::State& state) {
  std::size_t ratings = 0;
  for (auto _ : state) {
    ratings = load(csv_dir).ratings.size();
  }
  state.counters["ratings"] = static_cast<double>(ratings);
  state.counters["ratings/s"] = benchmark::Counter(static_cast<double>(ratings),
                                                   benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_LoadSyntheticCsv)->Unit(benchmark::kSecond)->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Load and split benchmarks of the data stage"};
  app.allow_extras();
  app.add_option("--csv-ratings", csv_ratings, "Ratings in the synthetic CSV release")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);

  csv_dir = fs::temp_directory_path() / ("recsys-bench-csv-" + std::to_string(csv_ratings));
  if (!fs::exists(csv_dir / "ratings.csv")) {
    write_synthetic_csv(csv_dir, csv_ratings);
  }

  std::vector<std::string> extras = app.remaining_for_passthrough();
  std::vector<char*> rest = {argv[0]};
  for (std::string& extra : extras) {
    rest.push_back(extra.data());
  }
  int rest_count = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_count, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  fs::remove_all(csv_dir);
  return 0;
}
