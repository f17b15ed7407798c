// Measures `recsys serve` against its raw ceiling: pgbench running the service's own
// recommendation query with random users, then wrk on GET /recommendations/{random user}.
// Prints requests/s, p50, p90, p99 and errors of both, the ratio and the service's memory.
// bench/service_bench.sh sets up the database, the model and the service and runs this.

#include <httplib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "db/connection.hpp"
#include "db/recommendation_queries.hpp"
#include "db/search_statements.hpp"

namespace {

namespace fs = std::filesystem;

struct BenchOptions {
  std::string database_url;
  std::string service_url = "http://127.0.0.1:8080";
  int users = 943;    // Users drawn from 1..users.
  int clients = 16;   // pgbench clients and wrk connections.
  int threads = 2;    // pgbench and wrk threads.
  int duration = 20;  // Seconds of each run.
  int k = 10;
  int ef_search = recsys::db::SearchSettings{}.ef_search;  // The same as recsys serve --ef-search.
  int service_pid = 0;                                     // For the resident memory; 0 skips it.
  int rounds = 1;  // pgbench then wrk, repeated; the summary takes the medians.
  std::string work_dir = "/tmp/recsys-service-bench";
};

struct RunResult {
  double requests_per_second = 0.0;
  double p50_ms = 0.0;
  double p90_ms = 0.0;
  double p99_ms = 0.0;
  long requests = 0;
  long errors = 0;
};

std::string run_shell(const std::string& command, int& status) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    throw recsys::Error("cannot run: " + command);
  }
  char buffer[4096];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) {
    output += buffer;
  }
  status = pclose(pipe);
  return output;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// Returns the service's user search as a pgbench script: the text the server keeps for the
// prepared statement, with the user id and k as pgbench variables. pgbench variables cannot
// be NULL, so the unused filters become NULL literals. A custom plan of the service's statement
// also substitutes its NULL parameters as constants.
std::string pgbench_script(const BenchOptions& options) {
  recsys::db::Connection connection(options.database_url);
  auto version = recsys::db::served_version(connection);
  if (!version) {
    throw recsys::Error("nothing is published in " + connection.description() +
                        ": run recsys publish first");
  }
  auto names = recsys::db::prepare_user_search(connection, *version);
  auto result = connection.execute("SELECT statement FROM pg_prepared_statements WHERE name = $1",
                                   {names.approximate});
  if (result.rows() != 1) {
    throw recsys::Error("prepared statement " + names.approximate + " not found");
  }
  std::string sql(result.text(0, 0));
  sql = replace_all(sql, "$3::text", "NULL::text");
  sql = replace_all(sql, "$4::integer", "NULL::integer");
  sql = replace_all(sql, "$5::integer", "NULL::integer");
  sql = replace_all(sql, "$6::boolean", "false");
  sql = replace_all(sql, "$2", ":k");
  sql = replace_all(sql, "$1", ":user_id");
  if (sql.find('$') != std::string::npos) {
    throw recsys::Error("the user search has parameters this bench does not know:\n" + sql);
  }
  return "\\set user_id random(1, " + std::to_string(options.users) + ")\n\\set k " +
         std::to_string(options.k) + "\n" + sql + ";\n";
}

double percentile(std::vector<double>& values, double share) {
  if (values.empty()) {
    return 0.0;
  }
  auto index = static_cast<std::size_t>(share * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(index), values.end());
  return values[index];
}

RunResult run_pgbench(const BenchOptions& options) {
  fs::path directory = fs::path(options.work_dir) / "pgbench";
  fs::remove_all(directory);
  fs::create_directories(directory);
  std::ofstream(directory / "user_search.sql") << pgbench_script(options);

  // The session settings the service's pool applies to every connection
  // (db::configure_session), so that pgbench's sessions search the index the same way.
  recsys::db::SearchSettings search;
  search.ef_search = options.ef_search;
  std::string session =
      "PGOPTIONS='-c hnsw.ef_search=" + std::to_string(search.ef_search) +
      " -c hnsw.iterative_scan=" + (search.iterative_scan ? "relaxed_order" : "off") +
      " -c hnsw.max_scan_tuples=" + std::to_string(search.max_scan_tuples) + " -c jit=off'";
  std::string command =
      "cd " + directory.string() + " && " + session + " pgbench -n -M prepared -c " +
      std::to_string(options.clients) + " -j " + std::to_string(options.threads) + " -T " +
      std::to_string(options.duration) + " -f user_search.sql -l --log-prefix=latency '" +
      options.database_url + "'";
  int status = 0;
  std::string output = run_shell(command, status);
  if (status != 0) {
    throw recsys::Error("pgbench failed:\n" + output);
  }

  RunResult run;
  std::smatch match;
  if (std::regex_search(output, match, std::regex(R"(tps = ([0-9.]+) \(without initial)"))) {
    run.requests_per_second = std::stod(match[1]);
  }
  if (std::regex_search(output, match, std::regex(R"(number of failed transactions: (\d+))"))) {
    run.errors = std::stol(match[1]);
  }

  // Per-transaction log lines: client, transaction, latency in microseconds, ...
  std::vector<double> latencies;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.path().filename().string().rfind("latency", 0) != 0) {
      continue;
    }
    std::ifstream log(entry.path());
    std::string line;
    while (std::getline(log, line)) {
      std::istringstream fields(line);
      long client = 0;
      long transaction = 0;
      double microseconds = 0.0;
      if (fields >> client >> transaction >> microseconds) {
        latencies.push_back(microseconds / 1000.0);
      }
    }
  }
  run.requests = static_cast<long>(latencies.size());
  run.p50_ms = percentile(latencies, 0.50);
  run.p90_ms = percentile(latencies, 0.90);
  run.p99_ms = percentile(latencies, 0.99);
  return run;
}

double wrk_milliseconds(const std::string& value, const std::string& unit) {
  double number = std::stod(value);
  if (unit == "us") {
    return number / 1000.0;
  }
  if (unit == "s") {
    return number * 1000.0;
  }
  return number;
}

RunResult run_wrk(const BenchOptions& options) {
  fs::path script = fs::path(options.work_dir) / "random_user.lua";
  std::ofstream(script) << "-- One GET /recommendations/{user} per request, users uniform.\n"
                        << "math.randomseed(42)\n"
                        << "request = function()\n"
                        << "  local user = math.random(1, " << options.users << ")\n"
                        << "  return wrk.format(\"GET\", \"/recommendations/\" .. user .. \"?k="
                        << options.k << "\")\n"
                        << "end\n";

  std::string command = "wrk --latency -t" + std::to_string(options.threads) + " -c" +
                        std::to_string(options.clients) + " -d" + std::to_string(options.duration) +
                        "s -s " + script.string() + " " + options.service_url;
  int status = 0;
  std::string output = run_shell(command, status);
  if (status != 0) {
    throw recsys::Error("wrk failed:\n" + output);
  }

  RunResult run;
  std::smatch match;
  if (std::regex_search(output, match, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
    run.requests_per_second = std::stod(match[1]);
  }
  if (std::regex_search(output, match, std::regex(R"((\d+) requests in)"))) {
    run.requests = std::stol(match[1]);
  }
  const std::pair<const char*, double*> quantiles[] = {
      {"50", &run.p50_ms}, {"90", &run.p90_ms}, {"99", &run.p99_ms}};
  for (const auto& [name, target] : quantiles) {
    std::regex line(std::string(R"(\s)") + name + R"(%\s+([0-9.]+)(us|ms|s)\b)");
    if (std::regex_search(output, match, line)) {
      *target = wrk_milliseconds(match[1], match[2]);
    }
  }
  if (std::regex_search(output, match, std::regex(R"(Non-2xx or 3xx responses: (\d+))"))) {
    run.errors += std::stol(match[1]);
  }
  if (std::regex_search(output, match,
                        std::regex(R"(connect (\d+), read (\d+), write (\d+), timeout (\d+))"))) {
    for (int i = 1; i <= 4; ++i) {
      run.errors += std::stol(match[i]);
    }
  }
  return run;
}

// VmRSS and VmHWM (peak) of a process, in MiB.
std::pair<double, double> resident_memory(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  double rss = 0.0;
  double peak = 0.0;
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string key;
    double kilobytes = 0.0;
    fields >> key >> kilobytes;
    if (key == "VmRSS:") {
      rss = kilobytes / 1024.0;
    } else if (key == "VmHWM:") {
      peak = kilobytes / 1024.0;
    }
  }
  return {rss, peak};
}

void check_service(const BenchOptions& options) {
  httplib::Client client(options.service_url);
  auto result = client.Get("/recommendations/1?k=" + std::to_string(options.k));
  if (!result || result->status != 200) {
    throw recsys::Error("the service at " + options.service_url +
                        " does not answer GET /recommendations/1 with 200; start it first");
  }
}

// Returns the 1-minute load average of the machine.
std::string load_average() {
  std::ifstream file("/proc/loadavg");
  std::string one_minute;
  file >> one_minute;
  return one_minute.empty() ? "?" : one_minute;
}

// Returns the run whose fields are the medians of `runs` (errors and requests are summed).
RunResult median_run(const std::vector<RunResult>& runs) {
  auto median_of = [&runs](double RunResult::*field) {
    std::vector<double> values;
    for (const auto& run : runs) {
      values.push_back(run.*field);
    }
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
  };
  RunResult summary;
  summary.requests_per_second = median_of(&RunResult::requests_per_second);
  summary.p50_ms = median_of(&RunResult::p50_ms);
  summary.p90_ms = median_of(&RunResult::p90_ms);
  summary.p99_ms = median_of(&RunResult::p99_ms);
  for (const auto& run : runs) {
    summary.requests += run.requests;
    summary.errors += run.errors;
  }
  return summary;
}

void print_row(const std::string& name, const RunResult& run) {
  std::printf("%-28s %12.0f %9.2f %9.2f %9.2f %10ld %8ld\n", name.c_str(), run.requests_per_second,
              run.p50_ms, run.p90_ms, run.p99_ms, run.requests, run.errors);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Service throughput against pgbench on the same query (bench/service_bench.sh)"};
  BenchOptions options;
  app.add_option("--database-url", options.database_url, "PostgreSQL URL of the published model")
      ->required();
  app.add_option("--service-url", options.service_url, "Base URL of recsys serve")
      ->capture_default_str();
  app.add_option("--users", options.users, "Random users are drawn from 1..users")
      ->capture_default_str();
  app.add_option("--clients", options.clients, "pgbench clients and wrk connections")
      ->capture_default_str();
  app.add_option("--threads", options.threads, "pgbench and wrk threads")->capture_default_str();
  app.add_option("--duration", options.duration, "Seconds per run")->capture_default_str();
  app.add_option("--ef-search", options.ef_search,
                 "hnsw.ef_search of pgbench's sessions; the same as recsys serve --ef-search")
      ->capture_default_str();
  app.add_option("--service-pid", options.service_pid, "Process id of recsys serve, for its RSS");
  app.add_option("--rounds", options.rounds,
                 "Rounds of a pgbench run then a wrk run; the summary takes the medians")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--work-dir", options.work_dir, "Directory for scripts and pgbench logs")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    fs::create_directories(options.work_dir);
    check_service(options);
    std::printf("%-28s %12s %9s %9s %9s %10s %8s\n", "run", "requests/s", "p50 ms", "p90 ms",
                "p99 ms", "requests", "errors");
    std::vector<RunResult> pgbench_runs;
    std::vector<RunResult> wrk_runs;
    for (int round = 1; round <= options.rounds; ++round) {
      std::string suffix = options.rounds > 1 ? " #" + std::to_string(round) : "";
      std::string load = load_average();
      pgbench_runs.push_back(run_pgbench(options));
      print_row("pgbench -M prepared" + suffix, pgbench_runs.back());
      wrk_runs.push_back(run_wrk(options));
      print_row("recsys serve (wrk)" + suffix, wrk_runs.back());
      std::printf("round %d: load average %s at its start\n", round, load.c_str());
    }

    auto pgbench = median_run(pgbench_runs);
    auto wrk = median_run(wrk_runs);
    if (options.rounds > 1) {
      std::printf("medians of %d rounds\n", options.rounds);
      print_row("pgbench -M prepared", pgbench);
      print_row("recsys serve (wrk)", wrk);
    }
    double ratio = pgbench.requests_per_second > 0.0
                       ? wrk.requests_per_second / pgbench.requests_per_second
                       : 0.0;
    std::printf("service / pgbench: %.1f%% (target >= 80%%)\n", 100.0 * ratio);
    if (options.service_pid > 0) {
      auto [rss, peak] = resident_memory(options.service_pid);
      std::printf("service resident memory: %.1f MiB now, %.1f MiB peak (target < 64 MiB)\n", rss,
                  peak);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "service_bench: %s\n", error.what());
    return 1;
  }
  return 0;
}
