#include "train/popularity.hpp"

#include "train/hyperparameters.hpp"

namespace recsys {

PopularityOptions PopularityOptions::from_json(const nlohmann::json& values) {
  HyperparameterReader reader("popularity", values);
  PopularityOptions options;
  options.min_rating = reader.read_double("min_rating", options.min_rating, 0.0, 1e9);
  reader.finish();
  return options;
}

nlohmann::json PopularityOptions::to_json() const {
  return {{"min_rating", min_rating}};
}

Popularity::Popularity(PopularityOptions options) : options_(options) {}

Embeddings Popularity::fit(const RatingMatrix& train, const IterationCallback& /*on_iteration*/) {
  Embeddings embeddings{train.user_ids, train.movie_ids, RowMatrix::Ones(train.user_count(), 1),
                        RowMatrix::Zero(train.movie_count(), 1), std::nullopt};
  for (std::int64_t i = 0; i < train.movie_count(); ++i) {
    float count = 0.0F;
    for (std::int64_t k = train.movie_offsets[i]; k < train.movie_offsets[i + 1]; ++k) {
      if (train.movie_ratings[k] >= options_.min_rating) {
        count += 1.0F;
      }
    }
    embeddings.movies(i, 0) = count;
  }
  return embeddings;
}

}  // namespace recsys
