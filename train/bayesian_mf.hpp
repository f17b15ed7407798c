#pragma once

#include "train/biased_mf.hpp"

namespace recsys {

// Fits the biased matrix factorization of BiasedMf by Gibbs sampling, the Bayesian
// probabilistic matrix factorization of Salakhutdinov and Mnih ("Bayesian Probabilistic Matrix
// Factorization using Markov Chain Monte Carlo", ICML 2008) extended with biases:
//   r_ui ~ N(mu + b_u + b_i + p_u . q_i, 1 / noise_precision),
//   [p_u, b_u] ~ N(mean_U, precision_U^-1) and [q_i, b_i] ~ N(mean_V, precision_V^-1),
// with Gaussian-Wishart hyperpriors on (mean_U, precision_U) and (mean_V, precision_V) and a
// Gamma(1, 1) prior on noise_precision. mu is the mean training rating. A sweep draws the user
// hyperparameters, every user row, the movie hyperparameters, every movie row and the noise
// precision, each from its conditional posterior. After `burn_in` sweeps, `samples` more are
// averaged: the prediction is the posterior mean, whose factor part is kept as a rank-`factors`
// matrix (LowRankMean). The embeddings fold it as [p_u, mean b_u + mu, 1] . [q_i, 1, mean b_i],
// so their dot product is the predicted rating. Rows without training ratings get zero factors
// and biases.
//
// Every row draws from its own random stream keyed by the seed, the sweep and the row, so the
// result does not depend on the number of threads. Reports "train_rmse" (of the current draw)
// and "noise_precision" after every sweep.
Embeddings fit_biased_mf_gibbs(const RatingMatrix& train, const BiasedMfOptions& options,
                               const IterationCallback& on_iteration);

}  // namespace recsys
