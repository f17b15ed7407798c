#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/finite_range.hpp"
#include "core/error.hpp"
#include "tracking/model_registration.hpp"
#include "tracking/model_registry.hpp"
#include "tracking/model_table.hpp"
#include "tracking/model_uri.hpp"
#include "tracking/tracking_config.hpp"
#include "train/interrupt.hpp"

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

// Adds an option under its former name, hidden from --help, so that older scripts still work.
void add_hidden_alias(CLI::App& command, const std::string& old_name, std::string& value) {
  command.add_option(old_name, value)->group("");
}

// Rejects a command line that gives an option under both its current and its former name.
void check_single_spelling(const CLI::App& command, const std::string& name,
                           const std::string& old_name) {
  if (command.count(name) > 0 && command.count(old_name) > 0) {
    throw CLI::ExcludesError(old_name, name);
  }
}

void run_register_command(const RegisterCommandOptions& options) {
  auto registration_options = options.registration;
  registration_options.ready_timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_seconds * 1000));

  // Ctrl-C stops at the next check point, before the alias moves (see register_model).
  InterruptGuard guard;
  tracking::RegistrationResult result;
  try {
    result = tracking::register_model(registration_options);
  } catch (const TrainingInterrupted& interrupted) {
    spdlog::error(
        "registration of run {} interrupted by {}; the alias '{}' was not moved. "
        "Run the same command again to finish it",
        registration_options.run_id, interrupted.signal_number() == SIGINT ? "SIGINT" : "SIGTERM",
        registration_options.alias);
    throw CLI::RuntimeError(128 + interrupted.signal_number());
  } catch (const std::filesystem::filesystem_error& error) {
    throw Error("registering run " + registration_options.run_id + " failed: " + error.what());
  }

  if (result.reused) {
    std::cout << "run " << result.run_id << " is already " << result.model_name << " version "
              << result.version << "; no new version created\n";
  } else {
    std::cout << "registered " << result.model_name << " version " << result.version << " from run "
              << result.run_id << "\n";
  }
  std::cout << (result.promoted ? "promoted: " : "not promoted: ") << result.reason << "\n";
}

void add_register_command(CLI::App& app) {
  auto options = std::make_shared<RegisterCommandOptions>();
  auto& registration = options->registration;
  CLI::App* command = app.add_subcommand(
      "register",
      "Register a training run's model as a new model version, and move the champion alias to "
      "it when it beats the current champion on the same data set and split");
  command->add_option("--run-id", registration.run_id, "MLflow run id printed by recsys train")
      ->required();
  command->add_option("--registered-model", registration.model_name, "Registered model name")
      ->capture_default_str();
  command
      ->add_option("--promotion-metric", registration.metric,
                   "Metric that decides promotion; higher is better except rmse, mae, mse and "
                   "*_loss")
      ->capture_default_str();
  command->add_option("--alias", registration.alias, "Alias that marks the serving model")
      ->capture_default_str();
  command->add_flag("--force-promotion", registration.force,
                    "Move the alias even when the version is not better or not comparable");
  command->add_option("--tracking-uri", registration.tracking_uri, kTrackingUriHelp);
  command
      ->add_option("--timeout", options->timeout_seconds,
                   "Seconds to wait for the version to become READY")
      ->capture_default_str()
      ->check(finite_range(0.001, 86400.0));
  // Former names of the options above, kept for the scripts that used them.
  add_hidden_alias(*command, "--name", registration.model_name);
  add_hidden_alias(*command, "--metric", registration.metric);
  command->add_flag("--force", registration.force)->group("");

  command->callback([command, options] {
    check_single_spelling(*command, "--registered-model", "--name");
    check_single_spelling(*command, "--promotion-metric", "--metric");
    check_single_spelling(*command, "--force-promotion", "--force");
    run_register_command(*options);
  });
}

// Prints the versions of one or every registered model. A file store that does not exist
// yet has no models, and reading it creates nothing.
void run_list_command(const ListCommandOptions& options) {
  const auto config = tracking::resolve_tracking_config(options.tracking_uri);
  const std::string store = tracking::redact_url(config.tracking_uri);
  if (!config.is_rest && !std::filesystem::exists(config.file_root)) {
    std::cout << "no registered models in " << store << ": the file store "
              << config.file_root.string() << " does not exist\n";
    return;
  }

  auto registry = tracking::open_model_registry(config);
  const auto versions = registry->search_model_versions(options.name);
  if (versions.empty()) {
    std::cout << (options.name.empty()
                      ? "no registered models in " + store
                      : "registered model '" + options.name + "' has no versions in " + store)
              << "\n";
    return;
  }
  std::cout << tracking::format_model_versions_table(versions);
}

void add_models_commands(CLI::App& app) {
  CLI::App* models = app.add_subcommand("models", "List and download registered models");
  models->require_subcommand(1);

  auto list_options = std::make_shared<ListCommandOptions>();
  CLI::App* list = models->add_subcommand(
      "list", "Show every version with its aliases and key metrics side by side");
  list->add_option("--registered-model", list_options->name,
                   "Registered model name (default: all models)");
  list->add_option("--tracking-uri", list_options->tracking_uri, kTrackingUriHelp);
  add_hidden_alias(*list, "--name", list_options->name);
  list->callback([list, list_options] {
    check_single_spelling(*list, "--registered-model", "--name");
    run_list_command(*list_options);
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
