#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "train/rating_matrix.hpp"

namespace recsys::test {

// A temporary directory removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "recsys-train-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Ratings with a planted block structure. User u and movie i belong to clusters u % clusters
// and i % clusters. Each user rates a random `density` share of its own cluster's movies
// (ratings 3 to 5) and nothing else. Ids start at 1.
struct PlantedClusters {
  std::vector<Rating> ratings;
  CatalogIds catalog;
  int clusters = 0;
  int cluster_of_user(std::int64_t id) const { return static_cast<int>((id - 1) % clusters); }
  int cluster_of_movie(std::int64_t id) const { return static_cast<int>((id - 1) % clusters); }
};

inline PlantedClusters planted_clusters(int users, int movies, int clusters, double density,
                                        std::uint64_t seed) {
  PlantedClusters data;
  data.clusters = clusters;
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int u = 1; u <= users; ++u) {
    data.catalog.user_ids.push_back(u);
    for (int i = 1; i <= movies; ++i) {
      if ((u - 1) % clusters == (i - 1) % clusters && unit(random) < density) {
        data.ratings.push_back({u, i, static_cast<float>(3 + random() % 3), 880000000 + i});
      }
    }
  }
  for (int i = 1; i <= movies; ++i) {
    data.catalog.movie_ids.push_back(i);
  }
  return data;
}

inline void write_file(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

inline std::string ratings_text(const std::vector<Rating>& ratings) {
  std::string text;
  for (const Rating& r : ratings) {
    text += std::to_string(r.user_id) + "\t" + std::to_string(r.movie_id) + "\t" +
            std::to_string(static_cast<int>(r.rating)) + "\t" + std::to_string(r.timestamp) + "\n";
  }
  return text;
}

// Writes a small release in the ML-100k layout with the official splits u1 and u2 (u1.test
// holds every fifth rating of each user from the fifth on, u2.test from the fourth on) and returns
// its folder.
inline std::filesystem::path write_ml100k_release(const std::filesystem::path& parent,
                                                  const PlantedClusters& data) {
  const auto dir = parent / "ml-100k";
  std::filesystem::create_directories(dir);
  write_file(dir / "u.genre", "unknown|0\nAction|1\nComedy|2\n\n");
  write_file(dir / "u.occupation", "other\nwriter\n");

  std::string items;
  for (std::int64_t id : data.catalog.movie_ids) {
    items += std::to_string(id) + "|Movie " + std::to_string(id) + " (1995)|01-Jan-1995||" + "|0|" +
             (id % 2 == 0 ? "1|0" : "0|1") + "\n";
  }
  write_file(dir / "u.item", items);

  std::string users;
  for (std::int64_t id : data.catalog.user_ids) {
    users += std::to_string(id) + "|30|" + (id % 2 == 0 ? "F" : "M") + "|other|12345\n";
  }
  write_file(dir / "u.user", users);

  write_file(dir / "u.data", ratings_text(data.ratings));
  for (int fold = 1; fold <= 2; ++fold) {
    std::vector<Rating> base;
    std::vector<Rating> test;
    std::int64_t previous_user = -1;
    int position = 0;
    for (const Rating& rating : data.ratings) {
      position = rating.user_id == previous_user ? position + 1 : 0;
      previous_user = rating.user_id;
      (position % 5 == 5 - fold ? test : base).push_back(rating);
    }
    const std::string name = "u" + std::to_string(fold);
    write_file(dir / (name + ".base"), ratings_text(base));
    write_file(dir / (name + ".test"), ratings_text(test));
  }
  return dir;
}

}  // namespace recsys::test
