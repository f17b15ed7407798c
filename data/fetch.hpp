#pragma once

#include <chrono>
#include <filesystem>
#include <string>

namespace recsys {

struct FetchOptions {
  std::string release = "ml-100k";  // Only releases with known checksums can be fetched.
  std::filesystem::path dir;        // Empty: default_data_dir().
  std::string url;                  // Empty: the release's GroupLens URL.
  int attempts = 4;                 // Tries for a failed connection or an HTTP 5xx/429 response.
  std::chrono::milliseconds first_backoff{1000};  // Doubles after each failed attempt.
  long connect_timeout_seconds = 20;
  // The transfer is aborted when it stays below 1 KB/s for this long.
  long stall_timeout_seconds = 60;
  bool force = false;  // Download again even when a verified copy is cached.
};

// Returns the cache directory: $RECSYS_DATA_DIR, else $XDG_CACHE_HOME/recsys, else
// ~/.cache/recsys. Throws recsys::Error when none of these variables is set.
std::filesystem::path default_data_dir();

// Returns where `recsys data fetch` stores a release: DIR/<release>.zip.
std::filesystem::path cached_release_path(const std::string& release,
                                          const std::filesystem::path& dir);

// Downloads a release zip with libcurl into the cache directory, verifies the SHA-256 of each
// content file inside it, then renames it into place, so that a failed or corrupt download
// leaves no file behind. Returns the zip's path; a verified cached copy is reused unless
// `force`. Throws recsys::Error for network failures, HTTP errors and checksum mismatches.
std::filesystem::path fetch_release(const FetchOptions& options);

// Verifies the SHA-256 of every content file of a known release inside `zip`. Throws
// recsys::Error naming the first file that is missing or differs.
void verify_release_zip(const std::string& release, const std::filesystem::path& zip);

}  // namespace recsys
