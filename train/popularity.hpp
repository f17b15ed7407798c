#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "train/recommender.hpp"

namespace recsys {

struct PopularityOptions {
  // Only ratings >= min_rating count; 0 counts every rating.
  double min_rating = 0.0;

  static PopularityOptions from_json(const nlohmann::json& values);
  nlohmann::json to_json() const;
};

// The non-personalized baseline: a movie's score is its number of training ratings (at or
// above min_rating), the same for every user. Embeddings have one column: 1 for every user
// and the count for every movie.
class Popularity : public Recommender {
 public:
  explicit Popularity(PopularityOptions options);

  std::string name() const override { return "popularity"; }
  nlohmann::json hyperparameters() const override { return options_.to_json(); }
  int factors() const override { return 0; }
  bool predicts_ratings() const override { return false; }

  // Counts in one pass; the callback is not called because there are no iterations.
  Embeddings fit(const RatingMatrix& train, const IterationCallback& on_iteration) override;

 private:
  PopularityOptions options_;
};

}  // namespace recsys
