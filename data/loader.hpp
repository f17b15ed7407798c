#pragma once

#include <filesystem>
#include <string>

#include "data/dataset.hpp"

namespace recsys {

// What the loader does with an invalid line of a content file. Invalid lines are a header line
// in a file that has none, a wrong field count, a non-numeric id, a rating off the release's
// scale, a repeated (user, movie) pair and a rating of a movie or user missing from its file.
enum class InvalidLinePolicy {
  kReject,  // Throw recsys::InputError naming the file, line and value.
  kSkip,    // Drop the line and log one warning per file with the count and the first lines.
};

// Parses "reject" or "skip" (as given to --invalid-lines); throws recsys::Error otherwise.
InvalidLinePolicy parse_invalid_line_policy(const std::string& text);

// Returns "reject" or "skip", the inverse of parse_invalid_line_policy.
std::string invalid_line_policy_name(InvalidLinePolicy policy);

// Damage to a file as a whole is an error under either policy. That is a missing or empty file,
// invalid UTF-8 in a CSV release, a truncated last line (no trailing newline and too few
// fields), stray bytes at the end of a file, or a corrupt zip.
struct LoadOptions {
  std::filesystem::path path;  // A release directory or the release's .zip file.
  // "auto" detects the format from the files present: u.data (ml-100k), ratings.dat (ml-1m) or
  // ratings.csv (the CSV family, named after its folder such as "ml-25m"). Otherwise one of
  // "ml-100k", "ml-1m", "ml-latest-small", "ml-latest", "ml-20m", "ml-25m", "ml-32m".
  std::string release = "auto";
  InvalidLinePolicy invalid_lines = InvalidLinePolicy::kReject;
};

// Loads a MovieLens release. Throws recsys::Error (recsys::InputError for a bad line) with the
// file, line, value and fix.
// Dataset::fingerprint is "sha256:" and the SHA-256 of the sha256sum listing of the content
// files read ("<hex>  <name>\n" per file, sorted by name). A directory and the zip of the same
// files give the same fingerprint. For ML-100k,
// `sha256sum u.data u.genre u.item u.occupation u.user | sha256sum` reproduces it.
Dataset load_dataset(const LoadOptions& options);

// Returns the data path to use: `cli_value` when not empty, else the ML100K_DIR environment
// variable, else the ml-100k zip cached by `recsys data fetch`. Throws recsys::Error telling
// the user to run `recsys data fetch`, pass --data or set ML100K_DIR when none exists.
std::filesystem::path resolve_data_path(const std::string& cli_value);

}  // namespace recsys
