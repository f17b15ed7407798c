#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "train/recommender.hpp"

namespace recsys {

// Hyperparameters of the biased matrix factorization. The defaults were tuned for RMSE on
// validation splits carved from ML-100k u1.base (docs/tuning.md).
struct BiasedMfOptions {
  // "gibbs": Bayesian, the posterior mean by Gibbs sampling (fit_biased_mf_gibbs); "als": the
  // penalized least-squares point estimate by alternating least squares.
  std::string solver = "gibbs";
  int factors = 8;
  int burn_in = 25;   // gibbs: sweeps discarded before averaging.
  int samples = 200;  // gibbs: sweeps averaged after the burn-in.
  // als: lambda on the factors p_u and q_i and on the biases b_u and b_i. Fold-in of a new
  // user in the service solves the same penalized least squares for either solver.
  double regularization = 0.12;
  double bias_regularization = 0.1;
  // true scales each row's lambdas by its rating count ("weighted-lambda" regularization of
  // Zhou et al. 2008), so that users and movies with many ratings are shrunk as much per
  // rating as those with few.
  bool weighted_regularization = true;
  int iterations = 15;  // als: sweeps, each solving users and then movies.
  std::uint64_t seed = 42;
  int threads = 0;  // Worker threads; 0 uses every hardware thread.

  static BiasedMfOptions from_json(const nlohmann::json& values);
  nlohmann::json to_json() const;
};

// Explicit rating prediction r_ui = mu + b_u + b_i + p_u . q_i, with mu the mean training
// rating. The "gibbs" solver averages the prediction over posterior draws (see
// fit_biased_mf_gibbs). The "als" solver minimizes the squared error plus L2 penalties by
// alternating least squares. With the movies fixed, each user's (p_u, b_u) is a ridge
// regression solved exactly by Cholesky, and the other way round. Either way the rows are
// solved independently, so threads give the same result as one thread. The embeddings fold
// the biases in: user [p_u, b_u + mu, 1] and movie [q_i, 1, b_i], so their dot product is the
// predicted rating.
class BiasedMf : public Recommender {
 public:
  explicit BiasedMf(BiasedMfOptions options);

  std::string name() const override { return "mf"; }
  nlohmann::json hyperparameters() const override { return options_.to_json(); }
  int factors() const override { return options_.factors; }
  bool predicts_ratings() const override { return true; }

  // Reports "train_rmse" after every iteration (a sweep): with "als" also "train_loss", the
  // penalized objective divided by the number of ratings, and with "gibbs" the sampled
  // "noise_precision". The embeddings have factors + 2 columns and carry mu as mean_rating.
  Embeddings fit(const RatingMatrix& train, const IterationCallback& on_iteration) override;

 private:
  BiasedMfOptions options_;
};

}  // namespace recsys
