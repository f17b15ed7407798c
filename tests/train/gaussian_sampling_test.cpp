#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "train/gaussian_wishart.hpp"
#include "train/random_stream.hpp"

namespace recsys::test {
namespace {

TEST(RandomStream, SameKeyGivesSameNumbers) {
  RandomStream first(7, 1, 2, 3);
  RandomStream second(7, 1, 2, 3);
  for (int k = 0; k < 100; ++k) {
    ASSERT_EQ(first.next_bits(), second.next_bits()) << "draw " << k;
  }
}

TEST(RandomStream, EveryKeyPartChangesTheNumbers) {
  const std::uint64_t base = RandomStream(7, 1, 2, 3).next_bits();
  EXPECT_NE(RandomStream(8, 1, 2, 3).next_bits(), base);
  EXPECT_NE(RandomStream(7, 2, 2, 3).next_bits(), base);
  EXPECT_NE(RandomStream(7, 1, 3, 3).next_bits(), base);
  EXPECT_NE(RandomStream(7, 1, 2, 4).next_bits(), base);
  // Swapped counters are different keys too.
  EXPECT_NE(RandomStream(7, 2, 1, 3).next_bits(), base);
}

TEST(RandomStream, UniformStaysInOpenInterval) {
  RandomStream random(1, 0);
  double sum = 0.0;
  const int n = 100000;
  for (int k = 0; k < n; ++k) {
    const double u = random.uniform();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
}

TEST(RandomStream, NormalHasUnitMoments) {
  RandomStream random(2, 0);
  const int n = 200000;
  double sum = 0.0;
  double squares = 0.0;
  double fourth = 0.0;
  for (int k = 0; k < n; ++k) {
    const double x = random.normal();
    sum += x;
    squares += x * x;
    fourth += x * x * x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(squares / n, 1.0, 0.015);
  EXPECT_NEAR(fourth / n, 3.0, 0.08);  // The kurtosis of a normal distribution.
}

TEST(RandomStream, GammaHasShapeAsMeanAndVariance) {
  for (double shape : {0.3, 1.0, 2.5, 40.0}) {
    SCOPED_TRACE(shape);
    RandomStream random(3, static_cast<std::uint64_t>(shape * 10));
    const int n = 100000;
    double sum = 0.0;
    double squares = 0.0;
    for (int k = 0; k < n; ++k) {
      const double x = random.gamma(shape);
      ASSERT_GT(x, 0.0);
      sum += x;
      squares += x * x;
    }
    const double mean = sum / n;
    const double variance = squares / n - mean * mean;
    EXPECT_NEAR(mean / shape, 1.0, 0.02);
    EXPECT_NEAR(variance / shape, 1.0, 0.05);
  }
}

TEST(Wishart, MeanIsDegreesOfFreedomTimesScale) {
  Eigen::MatrixXd scale(3, 3);
  scale << 2.0, 0.5, 0.0, 0.5, 1.0, -0.3, 0.0, -0.3, 0.5;
  const double degrees_of_freedom = 5.0;
  RandomStream random(4, 0);
  Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(3, 3);
  const int n = 20000;
  for (int k = 0; k < n; ++k) {
    const Eigen::MatrixXd draw = sample_wishart(scale, degrees_of_freedom, random);
    ASSERT_TRUE(draw.isApprox(draw.transpose()));
    ASSERT_EQ(Eigen::LLT<Eigen::MatrixXd>(draw).info(), Eigen::Success);
    sum += draw;
  }
  const Eigen::MatrixXd expected = degrees_of_freedom * scale;
  const Eigen::MatrixXd mean = sum / n;
  for (Eigen::Index i = 0; i < 3; ++i) {
    for (Eigen::Index j = 0; j < 3; ++j) {
      EXPECT_NEAR(mean(i, j), expected(i, j), 0.1) << "(" << i << ", " << j << ")";
    }
  }
}

TEST(Wishart, RejectsTooFewDegreesOfFreedom) {
  RandomStream random(5, 0);
  EXPECT_THROW(sample_wishart(Eigen::MatrixXd::Identity(3, 3), 1.5, random), Error);
  EXPECT_THROW(sample_wishart(-Eigen::MatrixXd::Identity(2, 2), 4.0, random), Error);
}

// With many rows the posterior concentrates on the rows' own mean and precision.
TEST(GaussianWishartPosterior, RecoversMeanAndPrecisionOfManyRows) {
  Eigen::MatrixXd covariance(2, 2);
  covariance << 0.5, 0.2, 0.2, 0.3;
  const Eigen::Vector2d mean(1.0, -2.0);
  const Eigen::MatrixXd factor = Eigen::LLT<Eigen::MatrixXd>(covariance).matrixL();

  const Eigen::Index n = 20000;
  RowMatrixXd rows(n + 1, 2);
  RandomStream random(6, 0);
  for (Eigen::Index r = 0; r < n; ++r) {
    const Eigen::Vector2d z(random.normal(), random.normal());
    rows.row(r) = (mean + factor * z).transpose();
  }
  rows.row(n) << 1e6, 1e6;  // Excluded below, so it must not move the estimate.
  std::vector<bool> include(static_cast<std::size_t>(n + 1), true);
  include.back() = false;

  const GaussianDistribution posterior =
      sample_gaussian_wishart_posterior(GaussianWishartPrior::standard(2), rows, include, random);
  EXPECT_NEAR(posterior.mean(0), 1.0, 0.03);
  EXPECT_NEAR(posterior.mean(1), -2.0, 0.03);
  const Eigen::MatrixXd expected = covariance.inverse();
  for (Eigen::Index i = 0; i < 2; ++i) {
    for (Eigen::Index j = 0; j < 2; ++j) {
      EXPECT_NEAR(posterior.precision(i, j) / expected(i, j), 1.0, 0.05)
          << "(" << i << ", " << j << ")";
    }
  }
}

}  // namespace
}  // namespace recsys::test
