#include "inference/fold_in.hpp"

#include <Eigen/Cholesky>

#include "core/error.hpp"

namespace recsys::inference {

FoldInModel make_fold_in_model(const std::string& model_type, const nlohmann::json& hyperparameters,
                               int dimension, std::vector<std::int64_t> movie_ids, RowMatrix movies,
                               double mean_rating) {
  FoldInModel model;
  model.model_type = model_type;
  model.dimension = dimension;
  model.mean_rating = mean_rating;

  if (static_cast<std::size_t>(movies.rows()) != movie_ids.size() || movies.cols() != dimension) {
    throw Error("fold-in: the movie embeddings are " + std::to_string(movies.rows()) + " x " +
                std::to_string(movies.cols()) + " but the model has " +
                std::to_string(movie_ids.size()) + " movies of dimension " +
                std::to_string(dimension));
  }
  for (std::size_t i = 0; i < movie_ids.size(); ++i) {
    model.movie_rows.emplace(movie_ids[i], static_cast<Eigen::Index>(i));
  }

  if (model_type == "als") {
    model.als = ImplicitAlsOptions::from_json(hyperparameters);
    if (model.als.factors != dimension) {
      throw Error("fold-in: als hyperparameter factors = " + std::to_string(model.als.factors) +
                  " differs from the embedding dimension " + std::to_string(dimension));
    }
    Eigen::MatrixXd y = movies.cast<double>();
    model.gram = y.transpose() * y;
  } else if (model_type == "mf") {
    model.mf = BiasedMfOptions::from_json(hyperparameters);
    if (model.mf.factors + 2 != dimension) {
      throw Error("fold-in: mf hyperparameter factors = " + std::to_string(model.mf.factors) +
                  " needs embeddings of dimension factors + 2, got " + std::to_string(dimension));
    }
    // The fold-in relies on the movie layout [q_i, 1, b_i].
    for (Eigen::Index row = 0; row < movies.rows(); ++row) {
      if (movies(row, dimension - 2) != 1.0F) {
        throw Error("fold-in: column " + std::to_string(dimension - 2) +
                    " of the mf movie embeddings must be 1 ([q_i, 1, b_i]), but movie " +
                    std::to_string(movie_ids[static_cast<std::size_t>(row)]) + " has " +
                    std::to_string(movies(row, dimension - 2)));
      }
    }
  } else if (model_type != "popularity") {
    throw Error("fold-in: unknown model type '" + model_type + "': expected als, mf or popularity");
  }
  model.movies = std::move(movies);
  return model;
}

namespace {

// Rows of the rated movies that have an embedding, with their ratings.
std::vector<std::pair<Eigen::Index, double>> rated_rows(
    const FoldInModel& model, const std::vector<std::pair<std::int64_t, double>>& ratings) {
  std::vector<std::pair<Eigen::Index, double>> rows;
  for (const auto& [movie_id, rating] : ratings) {
    auto found = model.movie_rows.find(movie_id);
    if (found != model.movie_rows.end()) {
      rows.emplace_back(found->second, rating);
    }
  }
  return rows;
}

std::vector<float> to_floats(const Eigen::VectorXd& x) {
  std::vector<float> values(static_cast<std::size_t>(x.size()));
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    values[static_cast<std::size_t>(i)] = static_cast<float>(x(i));
  }
  return values;
}

Eigen::VectorXd solve_positive_definite(const Eigen::MatrixXd& normal, const Eigen::VectorXd& b) {
  Eigen::LLT<Eigen::MatrixXd> cholesky(normal);
  if (cholesky.info() != Eigen::Success) {
    throw Error(
        "fold-in: the normal equations are not positive definite; the model's "
        "regularization must be above 0");
  }
  return cholesky.solve(b);
}

std::vector<float> fold_in_als(const FoldInModel& model,
                               const std::vector<std::pair<Eigen::Index, double>>& rows) {
  const Eigen::Index d = model.dimension;
  Eigen::MatrixXd normal = model.gram;
  normal.diagonal().array() += model.als.regularization;
  Eigen::VectorXd b = Eigen::VectorXd::Zero(d);

  for (const auto& [row, rating] : rows) {
    const double c = implicit_als_confidence(static_cast<float>(rating), model.als);
    const Eigen::VectorXd y = model.movies.row(row).cast<double>().transpose();
    normal.noalias() += (c - 1.0) * y * y.transpose();
    b += c * y;
  }
  return to_floats(solve_positive_definite(normal, b));
}

std::vector<float> fold_in_mf(const FoldInModel& model,
                              const std::vector<std::pair<Eigen::Index, double>>& rows) {
  // Movie embeddings are [q_i, 1, b_i]; the user's unknowns are (p, b_u) with features
  // [q_i, 1], which are the first factors + 1 columns of the movie embedding.
  const Eigen::Index f = model.mf.factors;
  Eigen::MatrixXd normal = Eigen::MatrixXd::Zero(f + 1, f + 1);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(f + 1);

  for (const auto& [row, rating] : rows) {
    const auto movie = model.movies.row(row).cast<double>();
    const Eigen::VectorXd z = movie.head(f + 1).transpose();
    const double target = rating - model.mean_rating - movie(f + 1);
    normal.noalias() += z * z.transpose();
    b += target * z;
  }
  const double weight = model.mf.weighted_regularization
                            ? static_cast<double>(std::max<std::size_t>(rows.size(), 1))
                            : 1.0;
  normal.diagonal().head(f).array() += weight * model.mf.regularization;
  normal(f, f) += weight * model.mf.bias_regularization;

  Eigen::VectorXd solved = solve_positive_definite(normal, b);
  Eigen::VectorXd user(f + 2);
  user.head(f) = solved.head(f);
  user(f) = solved(f) + model.mean_rating;
  user(f + 1) = 1.0;
  return to_floats(user);
}

}  // namespace

std::vector<float> fold_in_user(const FoldInModel& model,
                                const std::vector<std::pair<std::int64_t, double>>& ratings) {
  if (model.model_type == "popularity") {
    return std::vector<float>(static_cast<std::size_t>(model.dimension), 1.0F);
  }
  auto rows = rated_rows(model, ratings);
  if (model.model_type == "als") {
    return fold_in_als(model, rows);
  }
  return fold_in_mf(model, rows);
}

}  // namespace recsys::inference
