#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "tracking/model_registration.hpp"
#include "tracking/model_registry.hpp"
#include "tracking/model_table.hpp"
#include "tracking/model_uri.hpp"
#include "tracking/tracking_config.hpp"

namespace recsys::cli {

namespace {

constexpr const char* kTrackingUriHelp =
    "MLflow tracking URI: http(s)://host:port for a tracking server, or a file store directory "
    "(default: MLFLOW_TRACKING_URI, else ./mlruns)";

struct RegisterCommandOptions {
  tracking::RegisterOptions registration;
  double timeout_seconds = 300;
};

struct ListCommandOptions {
  std::string tracking_uri;
  std::string name;  // Empty: every registered model.
};

struct DownloadCommandOptions {
  std::string tracking_uri;
  std::string uri;
  std::string out_dir;
};

void add_register_command(CLI::App& app) {
  auto options = std::make_shared<RegisterCommandOptions>();
  auto& registration = options->registration;
  CLI::App* command = app.add_subcommand(
      "register",
      "Register a training run's model as a new model version, and move the champion alias to "
      "it when it beats the current champion on the same data set and split");
  command->add_option("--run-id", registration.run_id, "MLflow run id printed by recsys train")
      ->required();
  command->add_option("--name", registration.model_name, "Registered model name")
      ->capture_default_str();
  command
      ->add_option("--metric", registration.metric,
                   "Metric that decides promotion; higher is better except rmse, mae, mse and "
                   "*_loss")
      ->capture_default_str();
  command->add_option("--alias", registration.alias, "Alias that marks the serving model")
      ->capture_default_str();
  command->add_flag("--force", registration.force,
                    "Move the alias even when the version is not better or not comparable");
  command->add_option("--tracking-uri", registration.tracking_uri, kTrackingUriHelp);
  command
      ->add_option("--timeout", options->timeout_seconds,
                   "Seconds to wait for the version to become READY")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->callback([options] {
    auto registration_options = options->registration;
    registration_options.ready_timeout =
        std::chrono::milliseconds(static_cast<std::int64_t>(options->timeout_seconds * 1000));
    const tracking::RegistrationResult result = tracking::register_model(registration_options);
    if (result.reused) {
      std::cout << "run " << result.run_id << " is already " << result.model_name << " version "
                << result.version << "; no new version created\n";
    } else {
      std::cout << "registered " << result.model_name << " version " << result.version
                << " from run " << result.run_id << "\n";
    }
    std::cout << (result.promoted ? "promoted: " : "not promoted: ") << result.reason << "\n";
  });
}

void add_models_commands(CLI::App& app) {
  CLI::App* models = app.add_subcommand("models", "List and download registered models");
  models->require_subcommand(1);

  auto list_options = std::make_shared<ListCommandOptions>();
  CLI::App* list = models->add_subcommand(
      "list", "Show every version with its aliases and key metrics side by side");
  list->add_option("--name", list_options->name, "Registered model name (default: all models)");
  list->add_option("--tracking-uri", list_options->tracking_uri, kTrackingUriHelp);
  list->callback([list_options] {
    const auto config = tracking::resolve_tracking_config(list_options->tracking_uri);
    auto registry = tracking::open_model_registry(config);
    const auto versions = registry->search_model_versions(list_options->name);
    if (versions.empty()) {
      std::cout << (list_options->name.empty()
                        ? "no registered models in " + tracking::redact_url(config.tracking_uri)
                        : "registered model '" + list_options->name + "' has no versions")
                << "\n";
      return;
    }
    std::cout << tracking::format_model_versions_table(versions);
  });

  auto download_options = std::make_shared<DownloadCommandOptions>();
  CLI::App* download =
      models->add_subcommand("download", "Copy a model version to a local directory");
  download
      ->add_option("uri", download_options->uri,
                   "models:/<name>@<alias>, models:/<name>/<version> or runs:/<run_id>/model")
      ->required();
  download
      ->add_option("--out", download_options->out_dir,
                   "Directory to create; it must not exist or be empty")
      ->required();
  download->add_option("--tracking-uri", download_options->tracking_uri, kTrackingUriHelp);
  download->callback([download_options] {
    const auto model = tracking::download_model(download_options->uri, download_options->out_dir,
                                                download_options->tracking_uri);
    std::cout << "downloaded " << download_options->uri;
    if (!model.version.empty()) {
      std::cout << " (" << model.name << " version " << model.version << ", run " << model.run_id
                << ")";
    }
    std::cout << " to " << model.directory.string() << "\n";
  });
}

}  // namespace

void add_tracking_commands(CLI::App& app) {
  add_register_command(app);
  add_models_commands(app);
}

}  // namespace recsys::cli
