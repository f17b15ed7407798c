#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace recsys {

struct Rating {
  std::int64_t user_id = 0;
  std::int64_t movie_id = 0;
  float rating = 0.0F;
  std::int64_t timestamp = 0;  // Seconds since the Unix epoch.
};

struct Movie {
  std::int64_t id = 0;
  std::string title;  // UTF-8.
  // The film's year from its title, such as "Heat (1995)"; for ML-100k titles without one, the
  // year of u.item's release date. Empty when neither states one.
  std::optional<int> year;
  std::vector<std::string> genres;  // Names as in the release's genre list.
  std::string imdb_url;             // Empty when the release has none.
};

// Demographics; only ML-100k and ML-1M ship them.
struct User {
  std::int64_t id = 0;
  int age = 0;
  std::string gender;
  std::string occupation;
  std::string zip_code;
};

// The allowed rating values of a release: whole stars 1-5 (ML-100k, ML-1M) or half stars
// 0.5-5 (the CSV releases).
struct RatingScale {
  float min = 1.0F;
  float max = 5.0F;
  float step = 1.0F;
};

// A loaded MovieLens release. Ratings keep the order of the ratings file.
struct Dataset {
  std::string name;              // "ml-100k", "ml-1m", "ml-latest-small", "ml-25m", ...
  std::filesystem::path source;  // The directory or zip file it was read from.
  std::string fingerprint;       // "sha256:<hex>" over the content files, see the loader.
  RatingScale scale;
  std::vector<Rating> ratings;
  std::vector<Movie> movies;
  std::vector<User> users;          // Empty for releases without demographics.
  std::vector<std::string> genres;  // Every genre name of the release, in its own order.
};

}  // namespace recsys
