#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "data/fetch.hpp"
#include "data/loader.hpp"
#include "data/summary.hpp"

namespace recsys::cli {

namespace {

// Options of `recsys data info`.
struct InfoOptions {
  std::string data;  // Empty: resolve_data_path's fallbacks.
  std::string release = "auto";
  std::string invalid_lines = "reject";
};

void add_fetch_command(CLI::App& data) {
  auto options = std::make_shared<FetchOptions>();
  auto dir = std::make_shared<std::string>();
  auto backoff_ms = std::make_shared<long>(options->first_backoff.count());

  CLI::App* fetch = data.add_subcommand(
      "fetch", "Download a MovieLens release from GroupLens, verify its checksums and cache it");
  fetch->add_option("--release", options->release, "Release to download")->capture_default_str();
  fetch->add_option("--dir", *dir,
                    "Cache directory (default: $RECSYS_DATA_DIR, else $XDG_CACHE_HOME/recsys, "
                    "else ~/.cache/recsys)");
  fetch->add_option("--url", options->url,
                    "Download from this URL instead of GroupLens (a mirror); the checksums "
                    "still apply");
  fetch
      ->add_option("--attempts", options->attempts,
                   "Tries for connection failures and HTTP 5xx responses")
      ->capture_default_str()
      ->check(CLI::Range(1, 20));
  fetch
      ->add_option("--backoff-ms", *backoff_ms,
                   "Wait before the first retry in milliseconds; doubles after each retry")
      ->capture_default_str()
      ->check(CLI::Range(0L, 600000L));
  fetch
      ->add_option("--connect-timeout", options->connect_timeout_seconds,
                   "Connection timeout in seconds")
      ->capture_default_str();
  fetch->add_flag("--force", options->force, "Download again even if a verified copy exists");

  fetch->callback([options, dir, backoff_ms] {
    options->dir = *dir;
    options->first_backoff = std::chrono::milliseconds(*backoff_ms);
    std::filesystem::path path = fetch_release(*options);
    std::cout << path.string() << '\n';
  });
}

void add_info_command(CLI::App& data) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App* info = data.add_subcommand(
      "info", "Load a MovieLens release and print its counts, rating scale and fingerprint");
  info->add_option("--data", options->data,
                   "Release folder or .zip (default: $ML100K_DIR, else the copy cached by "
                   "`recsys data fetch`)");
  info->add_option("--release", options->release,
                   "auto, ml-100k, ml-1m, ml-latest-small, ml-latest, ml-20m, ml-25m or ml-32m")
      ->capture_default_str();
  add_invalid_lines_option(*info, options->invalid_lines);

  info->callback([options] {
    LoadOptions load;
    load.path = resolve_data_path(options->data);
    load.release = options->release;
    load.invalid_lines = parse_invalid_line_policy(options->invalid_lines);
    std::cout << summarize_dataset(load_dataset(load));
  });
}

}  // namespace

void add_invalid_lines_option(CLI::App& command, std::string& policy) {
  command
      .add_option("--invalid-lines", policy,
                  "reject: stop at the first invalid line of a data or split file; skip: drop "
                  "invalid lines with a warning")
      ->capture_default_str()
      ->check(CLI::IsMember({"reject", "skip"}));
}

void add_data_commands(CLI::App& app) {
  CLI::App* data = app.add_subcommand("data", "Download and inspect MovieLens releases");
  data->require_subcommand(1);
  add_fetch_command(*data);
  add_info_command(*data);
}

}  // namespace recsys::cli
