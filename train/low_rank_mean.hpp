#pragma once

#include <Eigen/Core>

namespace recsys {

// The running mean of matrix products P_s Q_s^T (users x movies), kept as a rank-r
// factorization P Q^T. Each add() replaces P Q^T by the best rank-r approximation of
// ((s - 1) P Q^T + P_s Q_s^T) / s. Thin QR factorizations of the stacked factors and the SVD
// of a small core matrix give it, so the users x movies matrix is never formed. The result is
// exact while r is at least the rank of the sum, and otherwise drops its smallest singular
// values.
class LowRankMean {
 public:
  explicit LowRankMean(Eigen::Index rank);

  // Adds one product. Throws recsys::Error when `users` and `movies` differ in columns or
  // their rows differ from the earlier products'.
  void add(const Eigen::Ref<const Eigen::MatrixXd>& users,
           const Eigen::Ref<const Eigen::MatrixXd>& movies);

  int count() const { return count_; }
  // P and Q with `rank` columns each, U S^1/2 and V S^1/2 of the SVD U S V^T of the mean and
  // zero beyond its rank. Empty before the first add().
  const Eigen::MatrixXd& users() const { return users_; }
  const Eigen::MatrixXd& movies() const { return movies_; }

 private:
  Eigen::Index rank_;
  int count_ = 0;
  Eigen::MatrixXd users_;
  Eigen::MatrixXd movies_;
};

}  // namespace recsys
