#include "inference/model_manager.hpp"

#include <spdlog/spdlog.h>

#include "tracking/model_registry.hpp"
#include "tracking/tracking_config.hpp"

namespace recsys::inference {

std::pair<std::string, std::string> parse_alias_uri(const std::string& uri) {
  const std::string prefix = "models:/";
  auto at = uri.rfind('@');
  if (!uri.starts_with(prefix) || at == std::string::npos || at <= prefix.size() ||
      at + 1 == uri.size()) {
    throw Error("invalid champion URI '" + uri +
                "': expected models:/<name>@<alias>, for example "
                "models:/movielens-recommender@champion");
  }
  return {uri.substr(prefix.size(), at - prefix.size()), uri.substr(at + 1)};
}

ModelManager::ModelManager(ConnectionPool& pool, ServiceMetrics& metrics,
                           ModelManagerOptions options)
    : pool_(pool), metrics_(metrics), options_(std::move(options)) {
  if (!options_.champion_uri.empty()) {
    parse_alias_uri(options_.champion_uri);  // Fails at start rather than at every poll.
  }
}

ModelManager::~ModelManager() {
  stop_polling();
}

std::optional<RegistryVersion> ModelManager::champion() const {
  std::lock_guard lock(champion_mutex_);
  return champion_;
}

void ModelManager::publish_model_info(const ServedModel& model) {
  metrics_.model_info.clear();
  metrics_.model_info
      .series({model.version.model_name, model.version.model_version, model.version.run_id})
      .set(1.0);
}

ModelManager::ReloadResult ModelManager::reload(const std::string& reason) {
  std::lock_guard lock(reload_mutex_);
  ReloadResult result;
  auto current = current_.load();

  std::optional<db::ServedVersion> served;
  try {
    served = pool_.run([](db::Connection& connection) { return db::served_version(connection); });
  } catch (const Error&) {
    metrics_.model_reloads.series({"failed"}).increment();
    throw;
  }
  if (!served) {
    metrics_.model_reloads.series({"unchanged"}).increment();
    result.outcome = Outcome::nothing_published;
    result.model = current;
    if (current) {
      spdlog::warn(
          "model check ({}): no version is published any more; still serving {} "
          "version {}",
          reason, current->version.model_name, current->version.model_version);
    }
    return result;
  }
  if (current && current->version.publication_id == served->publication_id) {
    metrics_.model_reloads.series({"unchanged"}).increment();
    result.outcome = Outcome::unchanged;
    result.model = current;
    return result;
  }

  std::shared_ptr<const ServedModel> loaded;
  try {
    loaded = std::make_shared<const ServedModel>(pool_.run(
        [&served](db::Connection& connection) { return load_served_model(connection, *served); }));
  } catch (const Error& error) {
    metrics_.model_reloads.series({"failed"}).increment();
    spdlog::error("model check ({}): loading {} version {} (publication {}) failed, {}: {}", reason,
                  served->model_name, served->model_version, served->publication_id,
                  current ? "keeping the current model" : "no model is served", error.what());
    throw;
  }

  current_.store(loaded);
  publish_model_info(*loaded);
  metrics_.model_reloads.series({"loaded"}).increment();
  if (current) {
    spdlog::info(
        "model reload ({}): now serving {} version {} (publication {}, {}, run {}), "
        "was version {} (publication {})",
        reason, served->model_name, served->model_version, served->publication_id,
        served->model_type, served->run_id, current->version.model_version,
        current->version.publication_id);
  } else {
    spdlog::info(
        "model load ({}): serving {} version {} (publication {}, {}, dimension {}, "
        "{} movies, run {})",
        reason, served->model_name, served->model_version, served->publication_id,
        served->model_type, served->dimension, loaded->fold_in.movie_rows.size(), served->run_id);
  }
  if (served->model_type == "mf" && loaded->mean_rating_source == "estimated") {
    spdlog::warn(
        "mf version {} was published without its mean training rating; fold-in uses mu = "
        "{:.4f} estimated from the user biases (publish a model directory that records "
        "mean_rating)",
        served->model_version, loaded->fold_in.mean_rating);
  }

  result.outcome = Outcome::loaded;
  result.model = loaded;
  return result;
}

void ModelManager::refresh_champion() {
  if (options_.champion_uri.empty()) {
    return;
  }
  auto [name, alias] = parse_alias_uri(options_.champion_uri);

  std::optional<RegistryVersion> found;
  std::string error_text;
  try {
    auto config = tracking::resolve_tracking_config(options_.tracking_uri);
    // A poll must not hang on a slow server: one short attempt, the next poll retries.
    config.rest.request_timeout = std::chrono::milliseconds(5'000);
    config.rest.connect_timeout = std::chrono::milliseconds(2'000);
    config.rest.max_retries = 0;
    auto registry = tracking::open_model_registry(config);
    auto version = registry->get_model_version_by_alias(name, alias);
    found = RegistryVersion{version.name, version.version, version.run_id};
  } catch (const Error& error) {
    error_text = error.what();
  }

  std::lock_guard lock(champion_mutex_);
  if (found) {
    bool changed = !champion_ || champion_->version != found->version;
    if (changed) {
      spdlog::info("registry champion {} is version {} (run {})", options_.champion_uri,
                   found->version, found->run_id);
      metrics_.champion_model_info.clear();
      metrics_.champion_model_info.series({found->name, found->version, found->run_id}).set(1.0);
    }
    champion_ = found;
    champion_error_.clear();
    return;
  }
  if (error_text != champion_error_) {
    spdlog::warn("cannot read the registry champion {}: {}", options_.champion_uri, error_text);
  }
  champion_error_ = error_text;
  if (champion_) {
    metrics_.champion_model_info.clear();
  }
  champion_.reset();
}

void ModelManager::start_polling() {
  refresh_champion();
  if (options_.reload_interval.count() <= 0) {
    return;
  }
  std::lock_guard lock(poll_mutex_);
  stopping_ = false;
  poller_ = std::thread([this] {
    std::unique_lock wait_lock(poll_mutex_);
    while (
        !poll_wakeup_.wait_for(wait_lock, options_.reload_interval, [this] { return stopping_; })) {
      wait_lock.unlock();
      try {
        reload("poll");
      } catch (const Error& error) {
        spdlog::warn("model check (poll) failed, next attempt in {} ms: {}",
                     options_.reload_interval.count(), error.what());
      }
      refresh_champion();
      wait_lock.lock();
    }
  });
}

void ModelManager::stop_polling() {
  {
    std::lock_guard lock(poll_mutex_);
    stopping_ = true;
  }
  poll_wakeup_.notify_all();
  if (poller_.joinable()) {
    poller_.join();
  }
}

}  // namespace recsys::inference
