// Wall time of the whole `recsys train` process (load, train, evaluate, write) on a release,
// by spawning the program, plus an in-process breakdown of the phases through the library.
//
//   train_speed --data /path/to/ml-100k --runs 10
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "core/logging.hpp"
#include "data/loader.hpp"
#include "data/split.hpp"
#include "evaluate/evaluation.hpp"
#include "train/model_directory.hpp"
#include "train/rating_matrix.hpp"
#include "train/recommender.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct SpeedOptions {
  std::string data;
  std::string recsys;  // Empty: the recsys program of the same build tree.
  std::string model = "als";
  int runs = 10;
  int threads = 0;
  std::vector<std::string> extra_arguments;  // Appended to `recsys train`.
};

// Returns the CPU time (user + system) of the waited-for child processes so far.
double children_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs `arguments` with stdout discarded and returns its exit status.
int run_process(const std::vector<std::string>& arguments) {
  std::vector<char*> argv;
  for (const auto& argument : arguments) {
    argv.push_back(const_cast<char*>(argument.c_str()));
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    return -1;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void print_summary(const std::string& name, std::vector<double> values) {
  std::sort(values.begin(), values.end());
  fmt::print("{:<26} min {:.3f} s  median {:.3f} s  max {:.3f} s\n", name, values.front(),
             values[values.size() / 2], values.back());
}

int run(const SpeedOptions& options) {
  const fs::path data = recsys::resolve_data_path(options.data);
  const fs::path program =
      options.recsys.empty()
          ? fs::canonical("/proc/self/exe").parent_path().parent_path() / "recsys"
          : fs::path(options.recsys);
  const fs::path scratch = fs::temp_directory_path() / fmt::format("train_speed-{}", getpid());
  fs::create_directories(scratch);

  // The whole program, as a user runs it.
  std::vector<double> process_times;
  std::vector<double> process_cpu_times;
  for (int run = 0; run < options.runs; ++run) {
    const fs::path out = scratch / fmt::format("process-{}", run);
    std::vector<std::string> arguments = {program.string(), "--log-level", "warn",    "train",
                                          "--data",         data.string(), "--split", "u1",
                                          "--model",        options.model, "--out",   out.string()};
    if (options.threads > 0) {
      arguments.insert(arguments.end(), {"--threads", std::to_string(options.threads)});
    }
    arguments.insert(arguments.end(), options.extra_arguments.begin(),
                     options.extra_arguments.end());
    const double cpu_before = children_cpu_seconds();
    const auto start = Clock::now();
    const int status = run_process(arguments);
    process_times.push_back(seconds_since(start));
    process_cpu_times.push_back(children_cpu_seconds() - cpu_before);
    if (status != 0) {
      std::cerr << "train_speed: " << program.string() << " train failed with status " << status
                << '\n';
      return 1;
    }
  }

  // The same steps in process, timed one by one.
  std::vector<double> load_times, split_times, fit_times, evaluate_times, write_times;
  for (int run = 0; run < options.runs; ++run) {
    auto start = Clock::now();
    recsys::LoadOptions load;
    load.path = data;
    const recsys::Dataset dataset = recsys::load_dataset(load);
    load_times.push_back(seconds_since(start));

    start = Clock::now();
    const recsys::Split split = recsys::make_split(dataset, recsys::SplitOptions{});
    const recsys::CatalogIds catalog = recsys::catalog_ids(dataset);
    split_times.push_back(seconds_since(start));

    start = Clock::now();
    nlohmann::json hyperparameters = nlohmann::json::object();
    if (options.threads > 0) {
      hyperparameters["threads"] = options.threads;
    }
    auto model = recsys::make_recommender(options.model, hyperparameters);
    const auto embeddings = model->fit(recsys::build_rating_matrix(split.train, catalog), nullptr);
    fit_times.push_back(seconds_since(start));

    start = Clock::now();
    recsys::EvaluationOptions evaluation;
    evaluation.rating_metrics = model->predicts_ratings();
    const auto result = recsys::evaluate(embeddings, split.train, split.test, evaluation);
    evaluate_times.push_back(seconds_since(start));

    start = Clock::now();
    recsys::ModelDirectory directory;
    directory.metadata.model_type = options.model;
    directory.metadata.dimension = static_cast<int>(embeddings.users.cols());
    directory.embeddings = embeddings;
    directory.metrics = result.metrics;
    directory.movies = dataset.movies;
    directory.users = dataset.users;
    directory.genres = dataset.genres;
    recsys::write_model_directory(directory, scratch / fmt::format("library-{}", run));
    write_times.push_back(seconds_since(start));
  }
  fs::remove_all(scratch);

  fmt::print("recsys train --model {} on {} split u1, {} runs, {} hardware threads\n",
             options.model, data.string(), options.runs, std::thread::hardware_concurrency());
  print_summary("whole process (wall)", process_times);
  print_summary("whole process (CPU)", process_cpu_times);
  print_summary("  load", load_times);
  print_summary("  split", split_times);
  print_summary("  fit", fit_times);
  print_summary("  evaluate", evaluate_times);
  print_summary("  write", write_times);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  SpeedOptions options;
  CLI::App app{"Time `recsys train` on a release: the whole process and each phase"};
  app.add_option("--data", options.data, "Release folder or .zip (default: $ML100K_DIR)");
  app.add_option("--recsys", options.recsys,
                 "The recsys program (default: the one of this build tree)");
  app.add_option("--model", options.model, "als, mf or popularity")->capture_default_str();
  app.add_option("--runs", options.runs, "Repetitions")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--threads", options.threads, "Training threads (default: every core)");
  app.add_option("--arg", options.extra_arguments,
                 "Extra argument for `recsys train`, such as --arg=--no-tracking; repeatable");
  CLI11_PARSE(app, argc, argv);
  try {
    recsys::configure_logging("warn");
    return run(options);
  } catch (const std::exception& e) {
    std::cerr << "train_speed: " << e.what() << '\n';
    return 1;
  }
}
