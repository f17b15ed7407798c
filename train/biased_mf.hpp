#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "train/recommender.hpp"

namespace recsys {

// Hyperparameters of the biased matrix factorization. The defaults were tuned for RMSE on a
// validation split carved from ML-100k u1.base (docs/tuning.md).
struct BiasedMfOptions {
  int factors = 64;
  double regularization = 0.12;      // lambda on the factors p_u and q_i.
  double bias_regularization = 0.1;  // lambda on the biases b_u and b_i.
  // true scales each row's lambdas by its rating count ("weighted-lambda" regularization of
  // Zhou et al. 2008), so that users and movies with many ratings are shrunk as much per
  // rating as those with few.
  bool weighted_regularization = true;
  int iterations = 15;
  std::uint64_t seed = 42;
  int threads = 0;  // Worker threads; 0 uses every hardware thread.

  static BiasedMfOptions from_json(const nlohmann::json& values);
  nlohmann::json to_json() const;
};

// Explicit rating prediction r_ui = mu + b_u + b_i + p_u . q_i, with mu the mean training
// rating, fitted by alternating least squares on the squared error plus L2 penalties: with the
// movies fixed, each user's (p_u, b_u) is a ridge regression solved exactly by Cholesky, and
// the other way round. ALS rather than SGD because each half-sweep solves its rows exactly and
// independently, so threads give the same result as one thread and there is no learning rate
// to tune. The embeddings fold the biases in: user [p_u, b_u + mu, 1] and movie [q_i, 1, b_i],
// so their dot product is the predicted rating.
class BiasedMf : public Recommender {
 public:
  explicit BiasedMf(BiasedMfOptions options);

  std::string name() const override { return "mf"; }
  nlohmann::json hyperparameters() const override { return options_.to_json(); }
  int factors() const override { return options_.factors; }
  bool predicts_ratings() const override { return true; }

  // Reports "train_loss" (the penalized objective divided by the number of ratings) and
  // "train_rmse" after every iteration. The embeddings have factors + 2 columns.
  Embeddings fit(const RatingMatrix& train, const IterationCallback& on_iteration) override;

 private:
  BiasedMfOptions options_;
};

}  // namespace recsys
