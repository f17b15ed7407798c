#include "data/summary.hpp"

#include <fmt/format.h>

#include "data/ratings_builder.hpp"

namespace recsys {

std::string summarize_dataset(const Dataset& dataset) {
  IdSet users;
  IdSet rated_movies;
  for (const Rating& rating : dataset.ratings) {
    users.insert(rating.user_id);
    rated_movies.insert(rating.movie_id);
  }

  std::string text;
  text += fmt::format("release:      {}\n", dataset.name);
  text += fmt::format("source:       {}\n", dataset.source.string());
  text += fmt::format("ratings:      {}\n", dataset.ratings.size());
  text += fmt::format("users:        {} with ratings{}\n", users.size(),
                      dataset.users.empty()
                          ? std::string(" (no demographics in this release)")
                          : fmt::format(", {} in the user file", dataset.users.size()));
  text += fmt::format("movies:       {} ({} rated)\n", dataset.movies.size(), rated_movies.size());
  text += fmt::format("rating scale: {}\n", describe_scale(dataset.scale));
  text += fmt::format("genres:       {}\n", dataset.genres.size());
  text += fmt::format("fingerprint:  {}\n", dataset.fingerprint);
  return text;
}

}  // namespace recsys
