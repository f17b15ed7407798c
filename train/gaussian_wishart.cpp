#include "train/gaussian_wishart.hpp"

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace recsys {

GaussianWishartPrior GaussianWishartPrior::standard(Eigen::Index d) {
  GaussianWishartPrior prior;
  prior.mean = Eigen::VectorXd::Zero(d);
  prior.beta = 2.0;
  prior.scale = Eigen::MatrixXd::Identity(d, d);
  prior.degrees_of_freedom = static_cast<double>(d);
  return prior;
}

Eigen::MatrixXd sample_wishart(const Eigen::MatrixXd& scale, double degrees_of_freedom,
                               RandomStream& random) {
  const Eigen::Index d = scale.rows();
  if (!(degrees_of_freedom > static_cast<double>(d - 1))) {
    throw Error("Wishart sampling: " + std::to_string(degrees_of_freedom) +
                " degrees of freedom are too few for dimension " + std::to_string(d) +
                "; use more than d - 1");
  }
  const Eigen::LLT<Eigen::MatrixXd> cholesky(scale);
  if (cholesky.info() != Eigen::Success) {
    throw Error("Wishart sampling: the scale matrix is not positive definite");
  }

  // Bartlett: with A lower triangular, sqrt(chi-square(nu - j)) on its diagonal and standard
  // normals below, L A A^T L^T is Wishart(L L^T, nu).
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(d, d);
  for (Eigen::Index j = 0; j < d; ++j) {
    const double chi_square =
        2.0 * random.gamma(0.5 * (degrees_of_freedom - static_cast<double>(j)));
    a(j, j) = std::sqrt(chi_square);
    for (Eigen::Index k = 0; k < j; ++k) {
      a(j, k) = random.normal();
    }
  }
  const Eigen::MatrixXd la = cholesky.matrixL() * a;
  return la * la.transpose();
}

GaussianDistribution sample_gaussian_wishart_posterior(const GaussianWishartPrior& prior,
                                                       const RowMatrixXd& rows,
                                                       const std::vector<bool>& include,
                                                       RandomStream& random) {
  const Eigen::Index d = rows.cols();

  // Mean and scatter matrix of the included rows, summed in row order.
  double n = 0.0;
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(d);
  for (Eigen::Index r = 0; r < rows.rows(); ++r) {
    if (include[static_cast<std::size_t>(r)]) {
      sum += rows.row(r).transpose();
      n += 1.0;
    }
  }
  const Eigen::VectorXd row_mean = n > 0.0 ? Eigen::VectorXd(sum / n) : Eigen::VectorXd::Zero(d);
  Eigen::MatrixXd scatter = Eigen::MatrixXd::Zero(d, d);
  Eigen::VectorXd centered(d);
  for (Eigen::Index r = 0; r < rows.rows(); ++r) {
    if (include[static_cast<std::size_t>(r)]) {
      centered = rows.row(r).transpose() - row_mean;
      scatter.selfadjointView<Eigen::Lower>().rankUpdate(centered);
    }
  }
  scatter.triangularView<Eigen::StrictlyUpper>() = scatter.transpose();

  // The conjugate update of Salakhutdinov and Mnih (2008), equation 14.
  const double beta = prior.beta + n;
  const double degrees_of_freedom = prior.degrees_of_freedom + n;
  const Eigen::VectorXd mean = (prior.beta * prior.mean + n * row_mean) / beta;
  const Eigen::VectorXd shift = prior.mean - row_mean;
  Eigen::MatrixXd scale_inverse =
      prior.scale.inverse() + scatter + (prior.beta * n / beta) * shift * shift.transpose();
  scale_inverse = 0.5 * (scale_inverse + scale_inverse.transpose());

  GaussianDistribution posterior;
  posterior.precision = sample_wishart(scale_inverse.inverse(), degrees_of_freedom, random);

  // mean ~ N(mean, (beta precision)^-1) is mean + U^-1 z with U^T U = beta precision.
  const Eigen::LLT<Eigen::MatrixXd> cholesky(beta * posterior.precision);
  Eigen::VectorXd z(d);
  for (Eigen::Index j = 0; j < d; ++j) {
    z(j) = random.normal();
  }
  posterior.mean = mean + cholesky.matrixU().solve(z);
  return posterior;
}

}  // namespace recsys
