#pragma once

#include <Eigen/Core>
#include <vector>

#include "train/random_stream.hpp"

namespace recsys {

using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A multivariate normal distribution given by its mean and precision (inverse covariance).
struct GaussianDistribution {
  Eigen::VectorXd mean;
  Eigen::MatrixXd precision;
};

// The Gaussian-Wishart prior on the mean and precision of d-dimensional rows:
// precision ~ Wishart(scale, degrees_of_freedom) and mean ~ N(mean, (beta precision)^-1).
struct GaussianWishartPrior {
  Eigen::VectorXd mean;
  double beta = 2.0;
  Eigen::MatrixXd scale;
  double degrees_of_freedom = 0.0;

  // The prior of Salakhutdinov and Mnih (2008) for rows of dimension d: mean 0, beta 2, the
  // identity as scale and d degrees of freedom.
  static GaussianWishartPrior standard(Eigen::Index d);
};

// Draws a d x d matrix from Wishart(scale, degrees_of_freedom) by the Bartlett decomposition.
// Throws recsys::Error unless scale is positive definite and degrees_of_freedom > d - 1.
Eigen::MatrixXd sample_wishart(const Eigen::MatrixXd& scale, double degrees_of_freedom,
                               RandomStream& random);

// Draws the mean and precision of the rows of `rows` (n x d) from their conditional posterior
// under `prior`: the conjugate update of a Gaussian-Wishart prior by the rows whose `include`
// flag is set, each an observation of N(mean, precision^-1).
GaussianDistribution sample_gaussian_wishart_posterior(const GaussianWishartPrior& prior,
                                                       const RowMatrixXd& rows,
                                                       const std::vector<bool>& include,
                                                       RandomStream& random);

}  // namespace recsys
