#include "train/implicit_als.hpp"

#include <spdlog/spdlog.h>

#include <Eigen/Cholesky>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "train/hyperparameters.hpp"
#include "train/parallel.hpp"
#include "train/random_init.hpp"

namespace recsys {

namespace {

// Rows handed to one thread at a time: small enough to balance users with many ratings.
constexpr std::int64_t kAlsRowsPerChunk = 64;

// One side of the rating matrix seen as rows to solve: the ratings of row r are columns and
// confidences [offsets[r], offsets[r + 1]).
struct SparseRows {
  const std::vector<std::int64_t>& offsets;
  const std::vector<std::int32_t>& columns;
  const std::vector<float>& confidence;
  std::int64_t row_count() const { return static_cast<std::int64_t>(offsets.size()) - 1; }
};

// Per-thread buffers, allocated once per fit.
struct AlsScratch {
  Eigen::MatrixXf normal;  // Cholesky: the row's normal equations.
  RowMatrix gathered;      // Cholesky: sqrt(c - 1) y_i for the row's ratings.
  Eigen::LLT<Eigen::MatrixXf> cholesky;
  Eigen::RowVectorXf x, b, residual, direction, product;
};

std::vector<float> confidences(const std::vector<float>& ratings,
                               const ImplicitAlsOptions& options) {
  std::vector<float> values(ratings.size());
  for (std::size_t k = 0; k < ratings.size(); ++k) {
    values[k] = implicit_als_confidence(ratings[k], options);
  }
  return values;
}

// Returns fixed^T fixed + lambda I in float.
Eigen::MatrixXf regularized_gram(const RowMatrix& fixed, double regularization) {
  Eigen::MatrixXf gram = Eigen::MatrixXf::Zero(fixed.cols(), fixed.cols());
  gram.selfadjointView<Eigen::Lower>().rankUpdate(fixed.transpose());
  gram.triangularView<Eigen::StrictlyUpper>() = gram.transpose();
  gram.diagonal().array() += static_cast<float>(regularization);
  return gram;
}

// Solves row `row` exactly: x = (G + Y^T (C - I) Y)^-1 Y^T C p with G = Y^T Y + lambda I.
void solve_row_cholesky(const SparseRows& rows, std::int64_t row, const RowMatrix& fixed,
                        const Eigen::MatrixXf& gram, AlsScratch& scratch, RowMatrix& solved) {
  const std::int64_t begin = rows.offsets[row];
  const std::int64_t count = rows.offsets[row + 1] - begin;

  scratch.gathered.resize(count, fixed.cols());
  scratch.b.setZero(fixed.cols());
  for (std::int64_t k = 0; k < count; ++k) {
    const float c = rows.confidence[begin + k];
    const auto y = fixed.row(rows.columns[begin + k]);
    scratch.gathered.row(k) = std::sqrt(c - 1.0F) * y;
    scratch.b += c * y;
  }
  scratch.normal = gram;
  scratch.normal.selfadjointView<Eigen::Lower>().rankUpdate(scratch.gathered.transpose());

  scratch.cholesky.compute(scratch.normal);
  if (scratch.cholesky.info() != Eigen::Success) {
    throw Error(
        "als: the normal equations of a row are not positive definite; set "
        "regularization above 0");
  }
  solved.row(row) = scratch.cholesky.solve(scratch.b.transpose()).transpose();
}

// Improves row `row` by `steps` conjugate gradient steps on the same normal equations,
// starting from its current value; each step lowers the row's objective.
void solve_row_cg(const SparseRows& rows, std::int64_t row, const RowMatrix& fixed,
                  const Eigen::MatrixXf& gram, int steps, AlsScratch& scratch, RowMatrix& solved) {
  const std::int64_t begin = rows.offsets[row];
  const std::int64_t end = rows.offsets[row + 1];
  auto& x = scratch.x;
  auto& residual = scratch.residual;
  auto& direction = scratch.direction;
  auto& product = scratch.product;

  // residual = b - A x, expanded so that A is never formed: G is symmetric, so x G = (G x)^T.
  x = solved.row(row);
  residual.noalias() = -(x * gram);
  for (std::int64_t k = begin; k < end; ++k) {
    const float c = rows.confidence[k];
    const auto y = fixed.row(rows.columns[k]);
    residual += (c - (c - 1.0F) * y.dot(x)) * y;
  }

  direction = residual;
  float residual_norm = residual.squaredNorm();
  for (int step = 0; step < steps; ++step) {
    if (residual_norm < std::numeric_limits<float>::min()) {
      break;
    }
    product.noalias() = direction * gram;
    for (std::int64_t k = begin; k < end; ++k) {
      const float c = rows.confidence[k];
      const auto y = fixed.row(rows.columns[k]);
      product += ((c - 1.0F) * y.dot(direction)) * y;
    }
    const float step_size = residual_norm / direction.dot(product);
    x += step_size * direction;
    residual -= step_size * product;
    const float next_norm = residual.squaredNorm();
    direction = residual + (next_norm / residual_norm) * direction;
    residual_norm = next_norm;
  }
  solved.row(row) = x;
}

// Solves every row of `solved` with the rows of `fixed` held constant. Rows without ratings
// get zero factors, their exact solution.
void solve_rows(const SparseRows& rows, const RowMatrix& fixed, RowMatrix& solved,
                const ImplicitAlsOptions& options, int threads, std::vector<AlsScratch>& scratch) {
  const Eigen::MatrixXf gram = regularized_gram(fixed, options.regularization);
  const bool cholesky = options.solver == "cholesky";

  parallel_for(rows.row_count(), threads, kAlsRowsPerChunk,
               [&](std::int64_t begin, std::int64_t end, int worker) {
                 for (std::int64_t row = begin; row < end; ++row) {
                   if (rows.offsets[row] == rows.offsets[row + 1]) {
                     solved.row(row).setZero();
                   } else if (cholesky) {
                     solve_row_cholesky(rows, row, fixed, gram, scratch[worker], solved);
                   } else {
                     solve_row_cg(rows, row, fixed, gram, options.cg_steps, scratch[worker],
                                  solved);
                   }
                 }
               });
}

// Returns the objective with the user rows' terms computed on `threads` threads and summed in
// row order, so the result does not depend on the thread count.
double objective(const RatingMatrix& train, const std::vector<float>& user_confidence,
                 const RowMatrix& users, const RowMatrix& movies, double regularization,
                 int threads) {
  const Eigen::MatrixXd gram = regularized_gram(movies, 0.0).cast<double>();
  std::vector<double> user_terms(static_cast<std::size_t>(train.user_count()), 0.0);

  parallel_for(train.user_count(), threads, kAlsRowsPerChunk,
               [&](std::int64_t begin, std::int64_t end, int /*worker*/) {
                 for (std::int64_t u = begin; u < end; ++u) {
                   const Eigen::RowVectorXd x = users.row(u).cast<double>();
                   // Every pair counted as unrated (c = 1, p = 0), then the rated pairs
                   // corrected: c (1 - s)^2 replaces s^2.
                   double term = (x * gram).dot(x);
                   for (std::int64_t k = train.user_offsets[u]; k < train.user_offsets[u + 1];
                        ++k) {
                     const double s = users.row(u).dot(movies.row(train.user_movies[k]));
                     const double c = user_confidence[k];
                     term += c * (1.0 - s) * (1.0 - s) - s * s;
                   }
                   term += regularization * x.squaredNorm();
                   user_terms[u] = term;
                 }
               });

  double total = 0.0;
  for (double term : user_terms) {
    total += term;
  }
  total += regularization * movies.cast<double>().squaredNorm();
  return total;
}

Embeddings make_embeddings(const RatingMatrix& train, const RowMatrix& users,
                           const RowMatrix& movies) {
  return Embeddings{train.user_ids, train.movie_ids, users, movies, std::nullopt};
}

}  // namespace

float implicit_als_confidence(float rating, const ImplicitAlsOptions& options) {
  if (options.confidence == "log") {
    return 1.0F + static_cast<float>(options.alpha *
                                     std::log1p(static_cast<double>(rating) / options.epsilon));
  }
  return 1.0F + static_cast<float>(options.alpha) * rating;
}

ImplicitAlsOptions ImplicitAlsOptions::from_json(const nlohmann::json& values) {
  HyperparameterReader reader("als", values);
  ImplicitAlsOptions options;
  options.factors = reader.read_int("factors", options.factors, 1, kMaxEmbeddingDimension);
  options.regularization = reader.read_double("regularization", options.regularization, 0.0, 1e9);
  options.alpha = reader.read_double("alpha", options.alpha, 0.0, 1e9, true);
  options.confidence = reader.read_choice("confidence", options.confidence, {"linear", "log"});
  options.epsilon = reader.read_double("epsilon", options.epsilon, 0.0, 1e9, true);
  options.iterations = reader.read_int("iterations", options.iterations, 1, 10000);
  options.solver = reader.read_choice("solver", options.solver, {"cg", "cholesky"});
  options.cg_steps = reader.read_int("cg_steps", options.cg_steps, 1, 1000);
  options.seed = reader.read_seed("seed", options.seed);
  options.threads = reader.read_int("threads", options.threads, 0, 1024);
  reader.finish();
  return options;
}

nlohmann::json ImplicitAlsOptions::to_json() const {
  return {{"factors", factors}, {"regularization", regularization},
          {"alpha", alpha},     {"confidence", confidence},
          {"epsilon", epsilon}, {"iterations", iterations},
          {"solver", solver},   {"cg_steps", cg_steps},
          {"seed", seed},       {"threads", resolve_thread_count(threads)}};
}

ImplicitAls::ImplicitAls(ImplicitAlsOptions options) : options_(std::move(options)) {}

double implicit_als_objective(const RatingMatrix& train, const RowMatrix& users,
                              const RowMatrix& movies, const ImplicitAlsOptions& options) {
  return objective(train, confidences(train.user_ratings, options), users, movies,
                   options.regularization, resolve_thread_count(options.threads));
}

Embeddings ImplicitAls::fit(const RatingMatrix& train, const IterationCallback& on_iteration) {
  const int threads = resolve_thread_count(options_.threads);
  const Eigen::Index factors = options_.factors;
  const std::vector<float> user_confidence = confidences(train.user_ratings, options_);
  const std::vector<float> movie_confidence = confidences(train.movie_ratings, options_);
  const SparseRows user_rows{train.user_offsets, train.user_movies, user_confidence};
  const SparseRows movie_rows{train.movie_offsets, train.movie_users, movie_confidence};

  // Small random factors; the sweeps grow them to the data's scale.
  const float scale = 0.1F / std::sqrt(static_cast<float>(factors));
  RowMatrix users(train.user_count(), factors);
  RowMatrix movies(train.movie_count(), factors);
  fill_uniform(users, options_.seed, scale);
  fill_uniform(movies, options_.seed + 1, scale);
  for (std::int64_t i = 0; i < train.movie_count(); ++i) {
    if (train.movie_offsets[i] == train.movie_offsets[i + 1]) {
      movies.row(i).setZero();
    }
  }

  std::vector<AlsScratch> scratch(static_cast<std::size_t>(threads));
  const double rating_count = std::max<double>(1.0, static_cast<double>(train.rating_count()));
  for (int iteration = 1; iteration <= options_.iterations; ++iteration) {
    solve_rows(user_rows, movies, users, options_, threads, scratch);
    solve_rows(movie_rows, users, movies, options_, threads, scratch);

    const double loss =
        objective(train, user_confidence, users, movies, options_.regularization, threads) /
        rating_count;
    spdlog::debug("als: iteration {}/{} train_loss {:.6f}", iteration, options_.iterations, loss);
    if (on_iteration) {
      TrainingProgress progress;
      progress.iteration = iteration;
      progress.iterations = options_.iterations;
      progress.metrics = {{"train_loss", loss}};
      progress.embeddings = [&] { return make_embeddings(train, users, movies); };
      on_iteration(progress);
    }
  }
  return make_embeddings(train, users, movies);
}

}  // namespace recsys
