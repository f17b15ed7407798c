#include "train/biased_mf.hpp"

#include <spdlog/spdlog.h>

#include <Eigen/Cholesky>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "train/bayesian_mf.hpp"
#include "train/hyperparameters.hpp"
#include "train/parallel.hpp"
#include "train/random_init.hpp"
#include "train/squared_error.hpp"

namespace recsys {

namespace {

constexpr std::int64_t kMfRowsPerChunk = 64;

struct RidgeScratch {
  RowMatrix features;  // [y_i, 1] for each rating of the row.
  Eigen::VectorXf targets;
  Eigen::MatrixXf normal;
  Eigen::LLT<Eigen::MatrixXf> cholesky;
};

// Factors and bias of one side in one matrix: columns [0, f) are the factors, column f the bias.
using FactorsAndBias = RowMatrix;

// Solves every row's (factors, bias) as a ridge regression on the other side's fixed factors:
// the target of rating r_ui is r_ui - mu - (the other side's bias).
void solve_rows(const RatingRows& rows, const FactorsAndBias& fixed, FactorsAndBias& solved,
                float mean, const BiasedMfOptions& options, int threads,
                std::vector<RidgeScratch>& scratch) {
  const Eigen::Index factors = options.factors;

  parallel_for(
      rows.row_count(), threads, kMfRowsPerChunk,
      [&](std::int64_t begin, std::int64_t end, int worker) {
        RidgeScratch& s = scratch[worker];
        for (std::int64_t row = begin; row < end; ++row) {
          const std::int64_t first = rows.offsets[row];
          const std::int64_t count = rows.offsets[row + 1] - first;
          if (count == 0) {
            solved.row(row).setZero();
            continue;
          }

          s.features.resize(count, factors + 1);
          s.targets.resize(count);
          for (std::int64_t k = 0; k < count; ++k) {
            const auto other = fixed.row(rows.columns[first + k]);
            s.features.row(k).head(factors) = other.head(factors);
            s.features(k, factors) = 1.0F;
            s.targets(k) = rows.ratings[first + k] - mean - other(factors);
          }

          const float weight = options.weighted_regularization ? static_cast<float>(count) : 1.0F;
          s.normal.setZero(factors + 1, factors + 1);
          s.normal.selfadjointView<Eigen::Lower>().rankUpdate(s.features.transpose());
          s.normal.diagonal().head(factors).array() +=
              weight * static_cast<float>(options.regularization);
          s.normal(factors, factors) += weight * static_cast<float>(options.bias_regularization);

          s.cholesky.compute(s.normal);
          if (s.cholesky.info() != Eigen::Success) {
            throw Error(
                "mf: the normal equations of a row are not positive definite; set "
                "regularization and bias_regularization above 0");
          }
          solved.row(row) = s.cholesky.solve(s.features.transpose() * s.targets).transpose();
        }
      });
}

struct Objective {
  double squared_error = 0.0;
  double penalty = 0.0;
};

// Returns the squared error and the penalty, with per-user terms summed in row order.
Objective objective(const RatingMatrix& train, const FactorsAndBias& users,
                    const FactorsAndBias& movies, float mean, const BiasedMfOptions& options,
                    int threads) {
  const Eigen::Index factors = options.factors;

  // Each row's penalty, scaled by its rating count when the regularization is weighted.
  auto penalty = [&](const FactorsAndBias& rows, const std::vector<std::int64_t>& offsets) {
    double total = 0.0;
    for (Eigen::Index r = 0; r < rows.rows(); ++r) {
      const double weight =
          options.weighted_regularization ? static_cast<double>(offsets[r + 1] - offsets[r]) : 1.0;
      total += weight * (options.regularization * rows.row(r).head(factors).squaredNorm() +
                         options.bias_regularization * rows(r, factors) * rows(r, factors));
    }
    return total;
  };

  Objective result;
  result.squared_error = sum_squared_error(train, users, movies, mean, threads);
  result.penalty = penalty(users, train.user_offsets) + penalty(movies, train.movie_offsets);
  return result;
}

// Folds mu and the biases into the embeddings: [p_u, b_u + mu, 1] . [q_i, 1, b_i].
Embeddings fold_embeddings(const RatingMatrix& train, const FactorsAndBias& users,
                           const FactorsAndBias& movies, float mean, Eigen::Index factors) {
  Embeddings embeddings{train.user_ids, train.movie_ids, RowMatrix(users.rows(), factors + 2),
                        RowMatrix(movies.rows(), factors + 2), mean};
  embeddings.users.leftCols(factors) = users.leftCols(factors);
  embeddings.users.col(factors) = users.col(factors).array() + mean;
  embeddings.users.col(factors + 1).setOnes();
  embeddings.movies.leftCols(factors) = movies.leftCols(factors);
  embeddings.movies.col(factors).setOnes();
  embeddings.movies.col(factors + 1) = movies.col(factors);
  return embeddings;
}

}  // namespace

BiasedMfOptions BiasedMfOptions::from_json(const nlohmann::json& values) {
  HyperparameterReader reader("mf", values);
  BiasedMfOptions options;
  options.solver = reader.read_choice("solver", options.solver, {"gibbs", "als"});
  // Two more dimensions hold the biases.
  options.factors = reader.read_int("factors", options.factors, 1, kMaxEmbeddingDimension - 2);
  options.regularization =
      reader.read_double("regularization", options.regularization, 0.0, 1e9, true);
  options.bias_regularization =
      reader.read_double("bias_regularization", options.bias_regularization, 0.0, 1e9, true);
  options.weighted_regularization =
      reader.read_bool("weighted_regularization", options.weighted_regularization);
  options.iterations = reader.read_int("iterations", options.iterations, 1, 10000);
  options.burn_in = reader.read_int("burn_in", options.burn_in, 0, 100000);
  options.samples = reader.read_int("samples", options.samples, 1, 100000);
  options.seed = reader.read_seed("seed", options.seed);
  options.threads = reader.read_int("threads", options.threads, 0, 1024);
  reader.finish();
  return options;
}

nlohmann::json BiasedMfOptions::to_json() const {
  return {{"solver", solver},
          {"factors", factors},
          {"regularization", regularization},
          {"bias_regularization", bias_regularization},
          {"weighted_regularization", weighted_regularization},
          {"iterations", iterations},
          {"burn_in", burn_in},
          {"samples", samples},
          {"seed", seed},
          {"threads", resolve_thread_count(threads)}};
}

BiasedMf::BiasedMf(BiasedMfOptions options) : options_(std::move(options)) {}

Embeddings BiasedMf::fit(const RatingMatrix& train, const IterationCallback& on_iteration) {
  if (options_.solver == "gibbs") {
    return fit_biased_mf_gibbs(train, options_, on_iteration);
  }

  const int threads = resolve_thread_count(options_.threads);
  const Eigen::Index factors = options_.factors;
  const RatingRows by_user = user_rows(train);
  const RatingRows by_movie = movie_rows(train);
  const double rating_count = std::max<double>(1.0, static_cast<double>(train.rating_count()));
  const auto mean = static_cast<float>(mean_rating(train));

  // Random movie factors and zero biases; the first half-sweep solves the users from them.
  FactorsAndBias users = FactorsAndBias::Zero(train.user_count(), factors + 1);
  FactorsAndBias movies(train.movie_count(), factors + 1);
  fill_uniform(movies, options_.seed, 0.1F);
  movies.col(factors).setZero();

  std::vector<RidgeScratch> scratch(static_cast<std::size_t>(threads));
  for (int iteration = 1; iteration <= options_.iterations; ++iteration) {
    solve_rows(by_user, movies, users, mean, options_, threads, scratch);
    solve_rows(by_movie, users, movies, mean, options_, threads, scratch);

    const Objective current = objective(train, users, movies, mean, options_, threads);
    const double loss = (current.squared_error + current.penalty) / rating_count;
    const double rmse = std::sqrt(current.squared_error / rating_count);
    spdlog::debug("mf: iteration {}/{} train_loss {:.6f} train_rmse {:.6f}", iteration,
                  options_.iterations, loss, rmse);
    if (on_iteration) {
      TrainingProgress progress;
      progress.iteration = iteration;
      progress.iterations = options_.iterations;
      progress.metrics = {{"train_loss", loss}, {"train_rmse", rmse}};
      progress.embeddings = [&] { return fold_embeddings(train, users, movies, mean, factors); };
      on_iteration(progress);
    }
  }
  return fold_embeddings(train, users, movies, mean, factors);
}

}  // namespace recsys
