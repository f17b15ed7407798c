#include "train/low_rank_mean.hpp"

#include <gtest/gtest.h>

#include <Eigen/SVD>

#include "core/error.hpp"
#include "train/random_stream.hpp"

namespace recsys::test {
namespace {

Eigen::MatrixXd random_matrix(Eigen::Index rows, Eigen::Index columns, std::uint64_t key) {
  RandomStream random(11, key);
  Eigen::MatrixXd matrix(rows, columns);
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (Eigen::Index j = 0; j < columns; ++j) {
      matrix(i, j) = random.normal();
    }
  }
  return matrix;
}

TEST(LowRankMean, ExactWhileRankSuffices) {
  LowRankMean mean(6);
  Eigen::MatrixXd expected = Eigen::MatrixXd::Zero(30, 20);
  for (std::uint64_t s = 0; s < 3; ++s) {
    const Eigen::MatrixXd users = random_matrix(30, 2, 2 * s);
    const Eigen::MatrixXd movies = random_matrix(20, 2, 2 * s + 1);
    mean.add(users, movies);
    expected += users * movies.transpose();
  }
  expected /= 3.0;

  EXPECT_EQ(mean.count(), 3);
  ASSERT_EQ(mean.users().cols(), 6);
  ASSERT_EQ(mean.movies().cols(), 6);
  const Eigen::MatrixXd product = mean.users() * mean.movies().transpose();
  EXPECT_LT((product - expected).cwiseAbs().maxCoeff(), 1e-10);
}

TEST(LowRankMean, KeepsBestApproximationOfRank) {
  const Eigen::MatrixXd users = random_matrix(25, 4, 20);
  const Eigen::MatrixXd movies = random_matrix(15, 4, 21);
  const Eigen::MatrixXd product = users * movies.transpose();
  LowRankMean mean(2);
  mean.add(users, movies);

  // The best rank-2 approximation (Eckart-Young) from a dense SVD.
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(product, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::MatrixXd best = svd.matrixU().leftCols(2) *
                               svd.singularValues().head(2).asDiagonal() *
                               svd.matrixV().leftCols(2).transpose();
  const Eigen::MatrixXd approximation = mean.users() * mean.movies().transpose();
  EXPECT_LT((approximation - best).cwiseAbs().maxCoeff(), 1e-9);
  // Both sides carry the square root of the singular values.
  const Eigen::MatrixXd user_gram = mean.users().transpose() * mean.users();
  const Eigen::MatrixXd movie_gram = mean.movies().transpose() * mean.movies();
  EXPECT_LT((user_gram - movie_gram).cwiseAbs().maxCoeff(), 1e-9);
}

TEST(LowRankMean, PadsWithZerosBeyondTheProductRank) {
  LowRankMean mean(5);
  mean.add(random_matrix(3, 1, 30), random_matrix(4, 1, 31));
  ASSERT_EQ(mean.users().cols(), 5);
  EXPECT_EQ(mean.users().rightCols(4).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ(mean.movies().rightCols(4).cwiseAbs().maxCoeff(), 0.0);
}

TEST(LowRankMean, RejectsMismatchedFactors) {
  EXPECT_THROW(LowRankMean(0), Error);
  LowRankMean mean(2);
  EXPECT_THROW(mean.add(random_matrix(5, 2, 40), random_matrix(4, 3, 41)), Error);
  mean.add(random_matrix(5, 2, 42), random_matrix(4, 2, 43));
  EXPECT_THROW(mean.add(random_matrix(6, 2, 44), random_matrix(4, 2, 45)), Error);
}

}  // namespace
}  // namespace recsys::test
