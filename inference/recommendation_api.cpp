#include "inference/recommendation_api.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <set>

#include "inference/api_error.hpp"
#include "inference/api_json.hpp"
#include "inference/openapi.hpp"
#include "inference/request_parameters.hpp"
#include "recsys/version.hpp"

namespace recsys::inference {

namespace {

// SQLSTATE query_canceled: the statement ran past statement_timeout.
constexpr const char* kQueryCanceled = "57014";

// {"name": ..., "version": ...} of the served model, as every recommendation response has.
nlohmann::json model_reference(const ServedModel& model) {
  return {{"name", model.version.model_name}, {"version", model.version.model_version}};
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Text of the ids that the pool or libpq may name in their messages stays in the log; the
// client gets this fixed message.
const char* kDatabaseUnavailableMessage =
    "the database is unavailable; retry later (the service recovers by itself)";

// Logs a warning at most once per second. During an outage thousands of requests fail fast
// with 503, and their warnings must not flood the log; the next line counts those left out.
void warn_rate_limited(const std::string& message) {
  static std::atomic<std::int64_t> last_logged_ms{0};
  static std::atomic<long> suppressed{0};
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count();
  auto last = last_logged_ms.load();
  if (now_ms - last < 1000 || !last_logged_ms.compare_exchange_strong(last, now_ms)) {
    ++suppressed;
    return;
  }
  long left_out = suppressed.exchange(0);
  if (left_out > 0) {
    spdlog::warn("{} ({} similar warnings left out since the previous one)", message, left_out);
  } else {
    spdlog::warn("{}", message);
  }
}

}  // namespace

RecommendationApi::RecommendationApi(ConnectionPool& pool, ModelManager& models,
                                     metrics::Registry& registry, ServiceMetrics& metrics)
    : pool_(pool), models_(models), registry_(registry), metrics_(metrics) {
  registry_.add_collector([this] {
    auto stats = pool_.stats();
    metrics_.db_pool_connections.series({"idle"}).set(stats.idle);
    metrics_.db_pool_connections.series({"in_use"}).set(stats.in_use);
    metrics_.db_pool_connections.series({"connecting"}).set(stats.connecting);
    metrics_.db_pool_connections.series({"disconnected"}).set(stats.disconnected);
    metrics_.db_pool_checkout_timeouts.series().set_total(
        static_cast<double>(stats.checkout_timeouts));
    metrics_.db_connect_attempts.series({"success"})
        .set_total(static_cast<double>(stats.connect_successes));
    metrics_.db_connect_attempts.series({"failure"})
        .set_total(static_cast<double>(stats.connect_failures));
    metrics_.db_connections_lost.series().set_total(static_cast<double>(stats.connections_lost));
    metrics_.ready.series().set(ready() ? 1.0 : 0.0);
  });
}

bool RecommendationApi::ready() const {
  return models_.current() && pool_.database_reachable();
}

std::shared_ptr<const ServedModel> RecommendationApi::require_model() const {
  auto model = models_.current();
  if (!model && !pool_.database_reachable()) {
    throw service_unavailable(kDatabaseUnavailableMessage);
  }
  if (!model) {
    throw service_unavailable(
        "no model is loaded yet: publish one with `recsys publish`; the service picks it up "
        "at the next check or on POST /admin/reload");
  }
  return model;
}

template <typename Query>
auto RecommendationApi::run_query(const char* name, std::shared_ptr<const ServedModel>& model,
                                  Query&& query)
    -> decltype(query(std::declval<db::Connection&>(), *model)) {
  for (int attempt = 1;; ++attempt) {
    auto start = std::chrono::steady_clock::now();
    try {
      auto result =
          pool_.run([&](db::Connection& connection) { return query(connection, *model); });
      metrics_.db_query_duration.series({name}).observe(seconds_since(start));
      return result;
    } catch (const DatabaseUnavailable& error) {
      warn_rate_limited(std::string("query ") + name + " failed: " + error.what());
      throw service_unavailable(kDatabaseUnavailableMessage);
    } catch (const db::DatabaseError& error) {
      metrics_.db_query_duration.series({name}).observe(seconds_since(start));
      if (error.sqlstate() == kQueryCanceled) {
        warn_rate_limited(std::string("query ") + name +
                          " exceeded the statement timeout: " + error.what());
        throw service_unavailable("the database query timed out (statement timeout); retry later");
      }
      // A newly published version may have dropped the tables of the version this request
      // started on. The reload loads the new version, and the query runs again on it.
      if (attempt == 1) {
        try {
          auto reloaded = models_.reload("query error");
          if (reloaded.model && reloaded.model != model) {
            spdlog::info("query {} failed on version {}, retrying on version {}: {}", name,
                         model->version.model_version, reloaded.model->version.model_version,
                         error.what());
            model = reloaded.model;
            continue;
          }
        } catch (const Error& reload_error) {
          spdlog::warn("model check after a failed query {} failed: {}", name, reload_error.what());
        }
      }
      spdlog::error("query {} failed on model version {}: {}", name, model->version.model_version,
                    error.what());
      throw service_unavailable("the database query failed; retry later");
    } catch (const Error&) {
      // db::NotFoundError and db::InvalidRequestError: the query ran and found nothing.
      metrics_.db_query_duration.series({name}).observe(seconds_since(start));
      throw;
    }
  }
}

void RecommendationApi::recommend_for_user(const httplib::Request& request,
                                           httplib::Response& response,
                                           const PathParameters& parameters) {
  auto total_start = std::chrono::steady_clock::now();
  auto model = require_model();
  std::int64_t user_id = parse_id(parameters.at(0), "user");
  auto query = parse_recommendation_query(request.params, model->genres, true);

  auto retrieve_start = std::chrono::steady_clock::now();
  std::vector<db::RecommendedMovie> items;
  try {
    items = run_query(
        "recommend_for_user", model, [&](db::Connection& connection, const ServedModel& served) {
          return db::recommend_for_user(connection, served.version, user_id, query.k, query.filter);
        });
  } catch (const db::NotFoundError&) {
    throw not_found("user " + std::to_string(user_id) + " not found in model version " +
                    model->version.model_version +
                    "; for a new user POST their ratings to /recommendations");
  } catch (const db::InvalidRequestError& error) {
    throw invalid_value(error.what());
  }
  metrics_.inference_duration.series({"retrieve"}).observe(seconds_since(retrieve_start));

  write_json(
      response, 200,
      {{"user_id", user_id}, {"model", model_reference(*model)}, {"items", items_json(items)}});
  metrics_.inference_duration.series({"total"}).observe(seconds_since(total_start));
}

void RecommendationApi::recommend_for_new_user(const httplib::Request& request,
                                               httplib::Response& response) {
  auto total_start = std::chrono::steady_clock::now();
  auto model = require_model();
  auto parsed = parse_fold_in_request(request.body, model->genres);

  std::vector<std::int64_t> rated_ids;
  std::vector<std::int64_t> ignored_ids;
  for (const auto& [movie_id, rating] : parsed.ratings) {
    rated_ids.push_back(movie_id);
    if (!model->fold_in.movie_rows.contains(movie_id)) {
      ignored_ids.push_back(movie_id);
    }
  }
  if (ignored_ids.size() == parsed.ratings.size()) {
    throw invalid_value("none of the rated movies is known to model version " +
                        model->version.model_version + ": rate movies from GET /movies/{movie_id}");
  }

  auto embed_start = std::chrono::steady_clock::now();
  std::vector<float> embedding;
  try {
    embedding = fold_in_user(model->fold_in, parsed.ratings);
  } catch (const Error& error) {
    spdlog::error("fold-in failed on model version {}: {}", model->version.model_version,
                  error.what());
    throw service_unavailable("the model cannot embed these ratings: " + std::string(error.what()));
  }
  metrics_.inference_duration.series({"embed"}).observe(seconds_since(embed_start));

  auto retrieve_start = std::chrono::steady_clock::now();
  std::vector<db::RecommendedMovie> items;
  try {
    items = run_query(
        "recommend_for_vector", model, [&](db::Connection& connection, const ServedModel& served) {
          // A retry on a new version needs an embedding of the new dimension.
          const auto& vector =
              &served == model.get() ? embedding : fold_in_user(served.fold_in, parsed.ratings);
          return db::recommend_for_vector(connection, served.version, vector, parsed.query.k,
                                          parsed.query.filter, rated_ids);
        });
  } catch (const db::InvalidRequestError& error) {
    throw invalid_value(error.what());
  }
  metrics_.inference_duration.series({"retrieve"}).observe(seconds_since(retrieve_start));

  write_json(response, 200,
             {{"model", model_reference(*model)},
              {"items", items_json(items)},
              {"ignored_movie_ids", ignored_ids}});
  metrics_.inference_duration.series({"total"}).observe(seconds_since(total_start));
}

void RecommendationApi::movie(const httplib::Request& request, httplib::Response& response,
                              const PathParameters& parameters) {
  auto model = require_model();
  std::int64_t movie_id = parse_id(parameters.at(0), "movie");
  if (!request.params.empty()) {
    throw bad_request("GET /movies/{movie_id} takes no query parameters");
  }

  auto found =
      run_query("movie", model, [&](db::Connection& connection, const ServedModel& served) {
        return db::movie(connection, served.version, movie_id);
      });
  if (!found) {
    throw not_found("movie " + std::to_string(movie_id) + " not found in model version " +
                    model->version.model_version);
  }
  write_json(response, 200,
             {{"movie_id", found->movie_id},
              {"title", found->title},
              {"year", found->year ? nlohmann::json(*found->year) : nlohmann::json(nullptr)},
              {"genres", found->genres},
              {"imdb_url", found->imdb_url},
              {"has_embedding", found->has_embedding}});
}

void RecommendationApi::similar_movies(const httplib::Request& request, httplib::Response& response,
                                       const PathParameters& parameters) {
  auto total_start = std::chrono::steady_clock::now();
  auto model = require_model();
  std::int64_t movie_id = parse_id(parameters.at(0), "movie");
  auto query = parse_recommendation_query(request.params, model->genres, false);

  std::vector<db::RecommendedMovie> items;
  try {
    items = run_query(
        "similar_movies", model, [&](db::Connection& connection, const ServedModel& served) {
          return db::similar_movies(connection, served.version, movie_id, query.k, query.filter);
        });
  } catch (const db::NotFoundError&) {
    throw not_found("movie " + std::to_string(movie_id) + " not found in model version " +
                    model->version.model_version + " or it has no embedding");
  } catch (const db::InvalidRequestError& error) {
    throw invalid_value(error.what());
  }
  metrics_.inference_duration.series({"retrieve"}).observe(seconds_since(total_start));

  write_json(
      response, 200,
      {{"movie_id", movie_id}, {"model", model_reference(*model)}, {"items", items_json(items)}});
  metrics_.inference_duration.series({"total"}).observe(seconds_since(total_start));
}

void RecommendationApi::readiness(httplib::Response& response) {
  auto model = models_.current();
  bool database_ok = false;
  std::string database_problem;
  try {
    // A lost connection throws out of check_health, so the pool replaces it and checks once
    // more on a new one. A second loss or a failed connect lands in the catch below.
    database_ok =
        pool_.run([](db::Connection& connection) { return db::check_health(connection); });
    if (!database_ok) {
      database_problem = "the publications table is not readable";
    }
  } catch (const Error& error) {
    database_problem = kDatabaseUnavailableMessage;
    warn_rate_limited(std::string("readiness check: ") + error.what());
  }

  if (model && database_ok) {
    write_json(response, 200, {{"status", "ready"}, {"model", model_reference(*model)}});
    return;
  }
  std::string message = !database_ok ? database_problem : "no model is loaded yet";
  write_json(response, 503,
             {{"error", {{"code", "not_ready"}, {"message", message}}},
              {"database", database_ok ? "ok" : "unavailable"},
              {"model", model ? model_reference(*model) : nlohmann::json(nullptr)}});
}

void RecommendationApi::model_description(httplib::Response& response) {
  auto model = require_model();
  const auto& version = model->version;
  nlohmann::json champion = nullptr;
  if (auto registry = models_.champion()) {
    champion = {{"name", registry->name},
                {"version", registry->version},
                {"run_id", registry->run_id},
                {"served", registry->name == version.model_name &&
                               registry->version == version.model_version}};
  }
  write_json(
      response, 200,
      {{"name", version.model_name},
       {"version", version.model_version},
       {"run_id", version.run_id},
       {"model_type", version.model_type},
       {"dimension", version.dimension},
       {"hyperparameters", version.hyperparameters},
       {"metrics", version.metrics},
       {"dataset", version.dataset_name},
       {"publication_id", version.publication_id},
       {"published_at", version.published_at},
       {"loaded_at", model->loaded_at},
       {"mean_rating", version.model_type == "mf" ? nlohmann::json(model->fold_in.mean_rating)
                                                  : nlohmann::json(nullptr)},
       {"mean_rating_source", model->mean_rating_source.empty()
                                  ? nlohmann::json(nullptr)
                                  : nlohmann::json(model->mean_rating_source)},
       {"movies_with_embedding", model->fold_in.movie_rows.size()},
       {"champion", champion},
       {"service_version", std::string(kVersion) + " (" + kGitCommit + ")"}});
}

void RecommendationApi::reload(httplib::Response& response) {
  ModelManager::ReloadResult result;
  try {
    result = models_.reload("admin");
    models_.refresh_champion();
  } catch (const DatabaseUnavailable& error) {
    spdlog::warn("reload on request failed: {}", error.what());
    throw service_unavailable(kDatabaseUnavailableMessage);
  } catch (const db::DatabaseError& error) {
    throw service_unavailable("reading the published version failed; retry later");
  } catch (const Error& error) {
    throw service_unavailable(std::string("loading the published version failed: ") + error.what());
  }
  const char* outcome = result.outcome == ModelManager::Outcome::loaded      ? "loaded"
                        : result.outcome == ModelManager::Outcome::unchanged ? "unchanged"
                                                                             : "nothing_published";
  write_json(response, 200,
             {{"outcome", outcome},
              {"model", result.model ? model_reference(*result.model) : nlohmann::json(nullptr)}});
}

void RecommendationApi::add_routes(Router& router) {
  router.add({"GET", "/recommendations/{user_id}", "Top-k movies for a known user",
              [this](const auto& request, auto& response, const auto& parameters) {
                recommend_for_user(request, response, parameters);
              }});
  router.add({"POST", "/recommendations", "Top-k movies for a new user from their ratings",
              [this](const auto& request, auto& response, const auto&) {
                recommend_for_new_user(request, response);
              }});
  router.add({"GET", "/movies/{movie_id}", "A movie of the catalog",
              [this](const auto& request, auto& response, const auto& parameters) {
                movie(request, response, parameters);
              }});
  router.add({"GET", "/movies/{movie_id}/similar", "Movies with the closest embeddings",
              [this](const auto& request, auto& response, const auto& parameters) {
                similar_movies(request, response, parameters);
              }});
  router.add({"GET", "/healthz", "Liveness: the process answers",
              [](const auto&, auto& response, const auto&) {
                write_json(response, 200, {{"status", "ok"}});
              }});
  router.add({"GET", "/readyz", "Readiness: the database answers and a model is loaded",
              [this](const auto&, auto& response, const auto&) { readiness(response); }});
  router.add({"GET", "/model", "The served model version",
              [this](const auto&, auto& response, const auto&) { model_description(response); }});
  router.add({"GET", "/metrics", "Prometheus metrics in the text exposition format",
              [this](const auto&, auto& response, const auto&) {
                response.set_content(registry_.render(),
                                     "text/plain; version=0.0.4; charset=utf-8");
              }});
  router.add({"POST", "/admin/reload", "Check for a newly published model version now",
              [this](const auto&, auto& response, const auto&) { reload(response); }});
  router.add({"GET", "/openapi.json", "This OpenAPI description",
              [&router](const auto&, auto& response, const auto&) {
                write_json(response, 200, openapi_document(router));
              }});
}

}  // namespace recsys::inference
