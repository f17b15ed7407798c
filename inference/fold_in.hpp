#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "train/biased_mf.hpp"
#include "train/embeddings.hpp"
#include "train/implicit_als.hpp"

namespace recsys::inference {

// The movie side of a served model, prepared once per model version to embed people the
// model has never seen from a handful of ratings ("fold-in").
struct FoldInModel {
  std::string model_type;  // "als", "mf" or "popularity".
  int dimension = 0;
  std::unordered_map<std::int64_t, Eigen::Index> movie_rows;  // MovieLens id -> row of movies.
  RowMatrix movies;      // One embedding per movie, movie_rows.size() x dimension.
  Eigen::MatrixXd gram;  // als: Y^T Y over every movie, computed once.
  ImplicitAlsOptions als;
  BiasedMfOptions mf;
  double mean_rating = 0.0;  // mf: mu, the mean training rating.
};

// Builds the fold-in model of a served version from its movie embeddings. `hyperparameters`
// are the model's own (regularization, alpha, ...). Throws recsys::Error for an unknown model
// type, hyperparameters the model rejects or embeddings of the wrong width.
FoldInModel make_fold_in_model(const std::string& model_type, const nlohmann::json& hyperparameters,
                               int dimension, std::vector<std::int64_t> movie_ids, RowMatrix movies,
                               double mean_rating);

// Returns the embedding of a new user from (movie id, rating) pairs, scoring movies by inner
// product like the trained users:
//   als         x = (Y^T Y + Y^T (C - I) Y + lambda I)^-1 Y^T C p over the rated movies, with
//               c = the model's confidence of the rating (1 + alpha r) and p = 1: one exact
//               step of implicit ALS with the movies fixed (Hu, Koren and Volinsky 2008);
//   mf          the ridge regression of r - mu - b_i on [q_i, 1] with the model's
//               (weighted) regularization, folded as [p, b_u + mu, 1];
//   popularity  the vector every user has, so the popular movies come first.
// Movies without an embedding are skipped. With none left, als returns the zero vector and mf
// [0, mu, 1], which ranks by movie bias. Throws recsys::Error when the normal equations are not
// positive definite.
std::vector<float> fold_in_user(const FoldInModel& model,
                                const std::vector<std::pair<std::int64_t, double>>& ratings);

}  // namespace recsys::inference
