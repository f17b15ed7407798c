#include "train/low_rank_mean.hpp"

#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace recsys {

namespace {

// Replaces (a, b) by r-column factors of the best rank-r approximation of a b^T. With a = Qa Ra
// and b = Qb Rb, a b^T = Qa (Ra Rb^T) Qb^T, so the SVD of the small core Ra Rb^T = X S Y^T
// gives a = Qa X S^1/2 and b = Qb Y S^1/2. Columns beyond the rank of a b^T are zero.
void truncate_product(Eigen::MatrixXd& a, Eigen::MatrixXd& b, Eigen::Index r) {
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr_a(a);
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr_b(b);
  const Eigen::Index rows_a = std::min(a.rows(), a.cols());
  const Eigen::Index rows_b = std::min(b.rows(), b.cols());
  const Eigen::MatrixXd r_a =
      qr_a.matrixQR().topRows(rows_a).template triangularView<Eigen::Upper>();
  const Eigen::MatrixXd r_b =
      qr_b.matrixQR().topRows(rows_b).template triangularView<Eigen::Upper>();

  const Eigen::BDCSVD<Eigen::MatrixXd> svd(r_a * r_b.transpose(),
                                           Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::Index kept = std::min<Eigen::Index>(r, svd.singularValues().size());
  const Eigen::VectorXd root = svd.singularValues().head(kept).cwiseSqrt();

  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(a.rows(), r);
  x.topLeftCorner(rows_a, kept) = svd.matrixU().leftCols(kept) * root.asDiagonal();
  x.applyOnTheLeft(qr_a.householderQ());
  Eigen::MatrixXd y = Eigen::MatrixXd::Zero(b.rows(), r);
  y.topLeftCorner(rows_b, kept) = svd.matrixV().leftCols(kept) * root.asDiagonal();
  y.applyOnTheLeft(qr_b.householderQ());
  a = std::move(x);
  b = std::move(y);
}

}  // namespace

LowRankMean::LowRankMean(Eigen::Index rank) : rank_(rank) {
  if (rank < 1) {
    throw Error("LowRankMean: invalid rank " + std::to_string(rank) + "; use 1 or more");
  }
}

void LowRankMean::add(const Eigen::Ref<const Eigen::MatrixXd>& users,
                      const Eigen::Ref<const Eigen::MatrixXd>& movies) {
  if (users.cols() != movies.cols()) {
    throw Error("LowRankMean: the user factors have " + std::to_string(users.cols()) +
                " columns but the movie factors " + std::to_string(movies.cols()));
  }
  if (count_ > 0 && (users.rows() != users_.rows() || movies.rows() != movies_.rows())) {
    throw Error("LowRankMean: a product of " + std::to_string(users.rows()) + " x " +
                std::to_string(movies.rows()) + " cannot join a mean of " +
                std::to_string(users_.rows()) + " x " + std::to_string(movies_.rows()));
  }
  ++count_;

  // Stack sqrt((s - 1) / s) [P, Q] beside sqrt(1 / s) [P_s, Q_s], then truncate.
  Eigen::MatrixXd a = users;
  Eigen::MatrixXd b = movies;
  if (count_ > 1) {
    const double keep = std::sqrt(static_cast<double>(count_ - 1) / count_);
    const double weight = std::sqrt(1.0 / count_);
    a.resize(users.rows(), users_.cols() + users.cols());
    a << keep * users_, weight * users;
    b.resize(movies.rows(), movies_.cols() + movies.cols());
    b << keep * movies_, weight * movies;
  }
  truncate_product(a, b, rank_);
  users_ = std::move(a);
  movies_ = std::move(b);
}

}  // namespace recsys
