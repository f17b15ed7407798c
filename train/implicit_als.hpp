#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "train/recommender.hpp"

namespace recsys {

// Hyperparameters of implicit-feedback ALS. The defaults were tuned on a validation split
// carved from ML-100k u1.base (docs/tuning.md).
struct ImplicitAlsOptions {
  int factors = 64;
  double regularization = 35.0;  // lambda, added to every row's normal equations.
  double alpha = 1.0;            // Confidence gained per unit of rating.
  std::string confidence =
      "linear";               // "linear": c = 1 + alpha r; "log": 1 + alpha ln(1 + r/epsilon)
  double epsilon = 1.0;       // Scale of the "log" confidence.
  int iterations = 15;        // Full sweeps, each solving users and then movies.
  std::string solver = "cg";  // "cholesky" (exact) or "cg" (conjugate gradient steps).
  int cg_steps = 2;           // Conjugate gradient steps per row and sweep, warm-started.
  std::uint64_t seed = 42;    // Initial factors.
  int threads = 0;            // Worker threads; 0 uses every hardware thread.

  // Reads the options from JSON, defaults filling the names not given. Throws recsys::Error
  // for unknown names and values out of range.
  static ImplicitAlsOptions from_json(const nlohmann::json& values);
  nlohmann::json to_json() const;
};

// Implicit-feedback matrix factorization by alternating least squares (Hu, Koren and Volinsky,
// "Collaborative Filtering for Implicit Feedback Datasets", ICDM 2008). Every (user, movie)
// pair enters the objective: a rated pair has preference 1 and confidence c > 1 from its
// rating, an unrated pair preference 0 and confidence 1. The objective is
//   sum over all pairs of c_ui (p_ui - x_u . y_i)^2 + lambda (sum ||x_u||^2 + sum ||y_i||^2),
// and the term of the unrated pairs comes from the Gram matrix Y^T Y, so a sweep costs
// O(ratings x factors) with conjugate gradient and O(ratings x factors^2) with Cholesky.
class ImplicitAls : public Recommender {
 public:
  explicit ImplicitAls(ImplicitAlsOptions options);

  std::string name() const override { return "als"; }
  nlohmann::json hyperparameters() const override { return options_.to_json(); }
  int factors() const override { return options_.factors; }
  bool predicts_ratings() const override { return false; }

  // Reports "train_loss", the objective above divided by the number of training ratings,
  // after every iteration. The embeddings have `factors` columns.
  Embeddings fit(const RatingMatrix& train, const IterationCallback& on_iteration) override;

  const ImplicitAlsOptions& options() const { return options_; }

 private:
  ImplicitAlsOptions options_;
};

// Returns the objective of ImplicitAls (not divided by the rating count) for the given
// factors, with the unrated pairs summed through the Gram matrix of `movies`.
double implicit_als_objective(const RatingMatrix& train, const RowMatrix& users,
                              const RowMatrix& movies, const ImplicitAlsOptions& options);

// Returns the confidence c of a rating under `options` (1 + alpha r for "linear").
float implicit_als_confidence(float rating, const ImplicitAlsOptions& options);

}  // namespace recsys
