#include <pthread.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <memory>
#include <thread>

#include "cli/commands.hpp"
#include "cli/finite_range.hpp"
#include "db/connection.hpp"
#include "db/recommendation_queries.hpp"
#include "inference/recommendation_service.hpp"
#include "recsys/version.hpp"

namespace recsys::cli {

namespace {

// Command-line values of `recsys serve`, in the units the options take.
struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 8;
  std::string database_url;
  double reload_interval_seconds = 10.0;
  std::string champion = "models:/movielens-recommender@champion";
  std::string tracking_uri;
  int statement_timeout_ms = 2000;
  int checkout_timeout_ms = 2000;
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  int read_timeout_seconds = 5;
  int request_timeout_seconds = 10;
  int write_timeout_seconds = 5;
  int keep_alive_timeout_seconds = 5;
  int keep_alive_max_requests = 1000;
  int shutdown_timeout_seconds = 7;
  int ef_search = db::SearchSettings{}.ef_search;
  bool no_access_log = false;
};

inference::ServiceOptions to_service_options(const ServeOptions& values) {
  inference::ServiceOptions options;
  options.http.host = values.host;
  options.http.port = values.port;
  options.http.threads = values.threads;
  options.http.max_body_bytes = values.max_body_bytes;
  options.http.max_header_bytes = values.max_header_bytes;
  options.http.read_timeout = std::chrono::seconds(values.read_timeout_seconds);
  options.http.request_timeout = std::chrono::seconds(values.request_timeout_seconds);
  options.http.write_timeout = std::chrono::seconds(values.write_timeout_seconds);
  options.http.keep_alive_timeout = std::chrono::seconds(values.keep_alive_timeout_seconds);
  options.http.keep_alive_max_requests = values.keep_alive_max_requests;
  options.http.shutdown_timeout = std::chrono::seconds(values.shutdown_timeout_seconds);
  options.http.access_log = !values.no_access_log;

  options.database.database_url = db::resolve_database_url(values.database_url);
  options.database.statement_timeout = std::chrono::milliseconds(values.statement_timeout_ms);
  options.database.checkout_timeout = std::chrono::milliseconds(values.checkout_timeout_ms);
  options.database.search.ef_search = values.ef_search;

  options.models.reload_interval =
      std::chrono::milliseconds(static_cast<long long>(values.reload_interval_seconds * 1000.0));
  options.models.champion_uri = values.champion;
  options.models.tracking_uri = values.tracking_uri;
  return options;
}

// Runs the service until SIGTERM or SIGINT. The signals are blocked in every thread and
// taken by sigtimedwait here, so no handler runs inside the HTTP library; SIGHUP triggers a
// model check.
void run_service(const ServeOptions& values) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto options = to_service_options(values);
  spdlog::info("recsys serve {} ({}) starting on {}:{} with {} threads, reload interval {} s",
               kVersion, kGitCommit, options.http.host, options.http.port, options.http.threads,
               values.reload_interval_seconds);
  inference::RecommendationService service(options);
  int port = service.start();
  spdlog::info("listening on http://{}:{}", options.http.host, port);

  std::atomic<bool> served{false};
  std::thread signal_thread([&service, &served, &signals, &values] {
    const timespec poll_interval{0, 200'000'000};
    bool stopping = false;
    while (!served.load()) {
      int signal = sigtimedwait(&signals, nullptr, &poll_interval);
      if (signal == SIGHUP) {
        spdlog::info("SIGHUP received: checking for a newly published model");
        service.reload("SIGHUP");
      } else if ((signal == SIGTERM || signal == SIGINT) && !stopping) {
        spdlog::info(
            "{} received: stopping, finishing the requests in progress (at most {} s, "
            "--shutdown-timeout)",
            signal == SIGTERM ? "SIGTERM" : "SIGINT", values.shutdown_timeout_seconds);
        stopping = true;
      }
      // Repeated because a stop that arrives before the server listens has no effect.
      if (stopping) {
        service.stop();
      }
    }
  });

  service.serve();
  served = true;
  signal_thread.join();
  spdlog::info("recsys serve stopped");
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto values = std::make_shared<ServeOptions>();
  auto* serve = app.add_subcommand(
      "serve",
      "Serve recommendations over HTTP from the model version published in PostgreSQL.\n"
      "Endpoints: GET /recommendations/{user_id}, POST /recommendations, GET /movies/{id},\n"
      "GET /movies/{id}/similar, /healthz, /readyz, /model, /metrics, /openapi.json,\n"
      "POST /admin/reload. SIGTERM or SIGINT stops after the requests in progress (at most\n"
      "--shutdown-timeout); SIGHUP checks for a newly published model.");

  serve->add_option("--host", values->host, "Address to listen on (loopback by default)")
      ->capture_default_str();
  serve->add_option("--port", values->port, "TCP port; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  serve
      ->add_option("--threads", values->threads,
                   "HTTP worker threads, also the size of the database connection pool; an "
                   "open keep-alive connection holds one thread")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  serve->add_option("--database-url", values->database_url,
                    "PostgreSQL connection string; default DATABASE_URL, then the PG* variables");
  serve
      ->add_option("--reload-interval", values->reload_interval_seconds,
                   "Seconds between checks for a newly published model version; 0 checks only "
                   "at start, on SIGHUP and on POST /admin/reload")
      ->check(finite_range(0.0, 86400.0))
      ->capture_default_str();
  serve
      ->add_option("--champion", values->champion,
                   "Registry alias reported as the champion (models:/<name>@<alias>); '' "
                   "turns the MLflow lookup off")
      ->capture_default_str();
  serve->add_option("--tracking-uri", values->tracking_uri,
                    "MLflow tracking URI of the registry; default MLFLOW_TRACKING_URI, then "
                    "./mlruns");
  serve
      ->add_option("--statement-timeout-ms", values->statement_timeout_ms,
                   "Longest database statement in milliseconds (SET statement_timeout); a "
                   "request whose query runs longer gets 503")
      ->check(CLI::Range(1, 600'000))
      ->capture_default_str();
  serve
      ->add_option("--checkout-timeout-ms", values->checkout_timeout_ms,
                   "Longest wait for a free database connection in milliseconds before 503")
      ->check(CLI::Range(1, 600'000))
      ->capture_default_str();
  serve
      ->add_option("--max-body-bytes", values->max_body_bytes,
                   "Largest request body in bytes; larger ones get 413")
      ->check(CLI::Range(std::size_t{1}, std::size_t{64} * 1024 * 1024))
      ->capture_default_str();
  serve
      ->add_option("--max-header-bytes", values->max_header_bytes,
                   "Largest request line plus headers in bytes; larger ones get 431 and the "
                   "connection is closed (within the limit, a single line above 8192 bytes gets "
                   "400 or 414 from cpp-httplib)")
      ->check(CLI::Range(std::size_t{256}, std::size_t{1024} * 1024))
      ->capture_default_str();
  serve
      ->add_option("--read-timeout", values->read_timeout_seconds,
                   "Seconds to wait for each part of a request once it started; a client that "
                   "sends nothing for longer gets 408")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve
      ->add_option("--request-timeout", values->request_timeout_seconds,
                   "Seconds to receive a whole request (line, headers and body) from its first "
                   "byte; a slower client gets 408 and its connection is closed")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve
      ->add_option("--write-timeout", values->write_timeout_seconds,
                   "Seconds to send a whole response; a response not sent by then is "
                   "abandoned and its connection closed")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve
      ->add_option("--keep-alive-timeout", values->keep_alive_timeout_seconds,
                   "Seconds an idle keep-alive connection stays open")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve
      ->add_option("--keep-alive-max-requests", values->keep_alive_max_requests,
                   "Requests served on one connection before it is closed")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  serve
      ->add_option("--ef-search", values->ef_search,
                   "pgvector hnsw.ef_search: HNSW candidate list size; higher is more exact "
                   "and slower")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  serve
      ->add_option("--shutdown-timeout", values->shutdown_timeout_seconds,
                   "Seconds the requests in progress get after SIGTERM or SIGINT; the "
                   "connections still open then are closed and the service exits")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  serve->add_flag("--no-access-log", values->no_access_log, "Do not log one line per request");

  serve->callback([values] { run_service(*values); });
}

}  // namespace recsys::cli
