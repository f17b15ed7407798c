#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/logging.hpp"
#include "recsys/version.hpp"

namespace {

// Exit statuses besides 0 (success) and 128 + N (stopped by signal N).
constexpr int kFailure = 1;         // An invalid input, a failed service or a rejected model.
constexpr int kUsageError = 2;      // An invalid command line.
constexpr int kInternalError = 70;  // A bug: EX_SOFTWARE in sysexits.h.

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "recsys: a MovieLens recommender and its MLOps pipeline.\n"
      "Stages: data -> train -> evaluate -> register -> publish -> serve."};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       std::string(recsys::kVersion) + " (" + recsys::kGitCommit + ")");

  std::string log_level = "info";
  app.add_option("--log-level", log_level, "Log level: trace, debug, info, warn, error, off")
      ->capture_default_str();
  app.parse_complete_callback([&log_level] { recsys::configure_logging(log_level); });

  recsys::cli::add_data_commands(app);
  recsys::cli::add_train_command(app);
  recsys::cli::add_evaluate_command(app);
  recsys::cli::add_tracking_commands(app);
  recsys::cli::add_db_commands(app);
  recsys::cli::add_serve_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    // A command stopped by a signal exits 128 + the signal number, as shells report it.
    return e.get_exit_code();
  } catch (const CLI::RequiredError& e) {
    // CLI11 reports a mistyped command as a missing one, so name the word it did not know.
    CLI::App* command = &app;
    std::string path = "recsys";
    while (!command->get_subcommands().empty()) {
      command = command->get_subcommands().front();
      path += " " + command->get_name();
    }
    const std::vector<std::string> extras = command->remaining();
    if (!extras.empty()) {
      std::cerr << "unknown command \"" << extras.front() << "\": run " << path
                << " --help for the list of commands\n";
      return kUsageError;
    }
    return app.exit(e) == 0 ? 0 : kUsageError;
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; an invalid command line exits kUsageError, not CLI11's code.
    return app.exit(e) == 0 ? 0 : kUsageError;
  } catch (const recsys::Error& e) {
    spdlog::error("{}", e.what());
    return kFailure;
  } catch (const std::exception& e) {
    spdlog::critical("internal error: {}", e.what());
    return kInternalError;
  }
  return 0;
}
