#include "data/loader.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <set>

#include "core/error.hpp"
#include "data/fetch.hpp"
#include "data/release.hpp"
#include "data/sha256.hpp"

namespace recsys {

namespace {

// A file format shared by one or more releases, recognized by its ratings file.
struct ReleaseFormat {
  std::string_view ratings_file;
  std::vector<std::string_view> releases;
  Dataset (*load)(LoadContext&);
};

const std::array<ReleaseFormat, 3>& release_formats() {
  static const std::array<ReleaseFormat, 3> formats = {{
      {"u.data", {"ml-100k"}, load_ml100k},
      {"ratings.dat", {"ml-1m"}, load_ml1m},
      {"ratings.csv",
       {"ml-latest-small", "ml-latest", "ml-20m", "ml-25m", "ml-32m"},
       load_movielens_csv},
  }};
  return formats;
}

// The name of a CSV release whose name was not given: its folder's name when that is a known
// release, else "movielens-csv".
std::string csv_release_name(const ReleaseFormat& format, const DataSource& source) {
  std::string folder = source.folder_name();
  for (std::string_view release : format.releases) {
    if (folder == release) {
      return folder;
    }
  }
  return "movielens-csv";
}

std::string release_names() {
  std::vector<std::string_view> names;
  for (const ReleaseFormat& format : release_formats()) {
    names.insert(names.end(), format.releases.begin(), format.releases.end());
  }
  return fmt::format("auto, {}", fmt::join(names, ", "));
}

const ReleaseFormat* detect_format(const DataSource& source) {
  for (const ReleaseFormat& format : release_formats()) {
    if (source.contains(std::string(format.ratings_file))) {
      return &format;
    }
  }
  return nullptr;
}

// Picks the format for `release` and checks that the source has its ratings file.
const ReleaseFormat& choose_format(const DataSource& source, const std::string& release) {
  const ReleaseFormat* detected = detect_format(source);
  if (release == "auto") {
    if (detected == nullptr) {
      throw Error(
          fmt::format("{} contains no MovieLens ratings file (u.data, ratings.dat or "
                      "ratings.csv); pass the folder of an extracted release or its "
                      ".zip, or run `recsys data fetch`",
                      source.path().string()));
    }
    return *detected;
  }

  for (const ReleaseFormat& format : release_formats()) {
    if (std::find(format.releases.begin(), format.releases.end(), release) ==
        format.releases.end()) {
      continue;
    }
    if (!source.contains(std::string(format.ratings_file))) {
      throw Error(
          fmt::format("{} has no {}, so it is not {}{}; pass the right folder, or "
                      "--release auto",
                      source.path().string(), format.ratings_file, release,
                      detected == nullptr ? std::string()
                                          : fmt::format(" (it has {})", detected->ratings_file)));
    }
    return format;
  }
  throw Error(fmt::format("unknown release \"{}\"; expected one of {}", release, release_names()));
}

// Hashes the sha256sum-style manifest ("<hex>  <name>\n" per file, sorted by name).
std::string fingerprint_of(const std::map<std::string, std::string>& file_sha256) {
  std::string manifest;
  for (const auto& [name, hex] : file_sha256) {
    manifest += hex + "  " + name + "\n";
  }
  return "sha256:" + sha256_hex(manifest);
}

}  // namespace

InvalidLinePolicy parse_invalid_line_policy(const std::string& text) {
  if (text == "reject") {
    return InvalidLinePolicy::kReject;
  }
  if (text == "skip") {
    return InvalidLinePolicy::kSkip;
  }
  throw Error(fmt::format("invalid line policy \"{}\": expected reject or skip", text));
}

std::string invalid_line_policy_name(InvalidLinePolicy policy) {
  return policy == InvalidLinePolicy::kSkip ? "skip" : "reject";
}

Dataset load_dataset(const LoadOptions& options) {
  auto start = std::chrono::steady_clock::now();
  DataSource source(options.path);
  const ReleaseFormat& format = choose_format(source, options.release);

  LoadContext context{source, "", options.invalid_lines, {}};
  context.release = options.release != "auto" ? options.release : csv_release_name(format, source);
  Dataset dataset = format.load(context);
  dataset.source = options.path;
  dataset.fingerprint = fingerprint_of(context.file_sha256);

  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  spdlog::info("loaded {} from {}: {} ratings, {} movies in {:.2f} s ({})", dataset.name,
               options.path.string(), dataset.ratings.size(), dataset.movies.size(),
               elapsed.count(), dataset.fingerprint);
  return dataset;
}

std::filesystem::path resolve_data_path(const std::string& cli_value) {
  if (!cli_value.empty()) {
    return cli_value;
  }
  if (const char* variable = std::getenv("ML100K_DIR"); variable != nullptr && *variable != 0) {
    return variable;
  }

  std::filesystem::path cached;
  try {
    cached = cached_release_path("ml-100k", default_data_dir());
  } catch (const Error&) {
    // No cache directory can be named (no HOME): fall through to the error below.
  }
  std::error_code error;
  if (!cached.empty() && std::filesystem::is_regular_file(cached, error)) {
    return cached;
  }
  throw Error(
      "no MovieLens data found: run `recsys data fetch` to download ML-100k, pass "
      "--data PATH (a release folder or .zip), or set ML100K_DIR");
}

}  // namespace recsys
