#include "train/bayesian_mf.hpp"

#include <spdlog/spdlog.h>

#include <Eigen/Cholesky>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "train/gaussian_wishart.hpp"
#include "train/low_rank_mean.hpp"
#include "train/parallel.hpp"
#include "train/random_stream.hpp"
#include "train/squared_error.hpp"

namespace recsys {

namespace {

constexpr std::int64_t kGibbsRowsPerChunk = 32;

// First keys of the random streams, one per kind of draw.
constexpr std::uint64_t kInitialFactorsStream = 1;
constexpr std::uint64_t kRowStream = 2;
constexpr std::uint64_t kHyperparameterStream = 3;
constexpr std::uint64_t kNoiseStream = 4;

// Shape and rate of the Gamma prior on the noise precision.
constexpr double kNoiseShape = 1.0;
constexpr double kNoiseRate = 1.0;

struct RowScratch {
  Eigen::MatrixXd features;  // [q_j, 1] of the other side, one column per rating of the row.
  Eigen::VectorXd targets;
  Eigen::MatrixXd precision;
  Eigen::VectorXd draw;
};

// The hyperparameters of one side and the noise precision, as drawn in the current sweep.
struct RowPrior {
  const GaussianDistribution& distribution;
  Eigen::VectorXd shift;  // precision * mean, shared by every row.
  double noise_precision;
};

// Draws every row's [factors, bias] of one side from its Gaussian conditional posterior given
// the other side `fixed`: precision P = prior precision + noise_precision sum x x^T and mean
// P^-1 (prior precision * prior mean + noise_precision sum x t), with features x = [q_j, 1] and
// targets t = r - mu - b_j. Rows without ratings are set to zero.
void sample_rows(const RatingRows& rows, const RowMatrixXd& fixed, RowMatrixXd& sampled,
                 double mean, const RowPrior& prior, std::uint64_t seed, std::uint64_t stream,
                 int threads, std::vector<RowScratch>& scratch) {
  const Eigen::Index d = fixed.cols();
  const Eigen::Index factors = d - 1;

  parallel_for(
      rows.row_count(), threads, kGibbsRowsPerChunk,
      [&](std::int64_t begin, std::int64_t end, int worker) {
        RowScratch& s = scratch[static_cast<std::size_t>(worker)];
        for (std::int64_t row = begin; row < end; ++row) {
          const std::int64_t first = rows.offsets[row];
          const std::int64_t count = rows.offsets[row + 1] - first;
          if (count == 0) {
            sampled.row(row).setZero();
            continue;
          }

          s.features.resize(d, count);
          s.targets.resize(count);
          for (std::int64_t k = 0; k < count; ++k) {
            const auto other = fixed.row(rows.columns[first + k]);
            s.features.col(k).head(factors) = other.head(factors).transpose();
            s.features(factors, k) = 1.0;
            s.targets(k) = rows.ratings[first + k] - mean - other(factors);
          }

          s.precision = prior.distribution.precision;
          s.precision.selfadjointView<Eigen::Lower>().rankUpdate(s.features, prior.noise_precision);
          const Eigen::LLT<Eigen::MatrixXd> cholesky(s.precision);
          if (cholesky.info() != Eigen::Success) {
            throw Error("mf: the posterior precision of a row is not positive definite");
          }
          Eigen::VectorXd value =
              cholesky.solve(prior.shift + prior.noise_precision * (s.features * s.targets));

          // Adding U^-1 z, with U^T U the precision, gives the covariance precision^-1.
          RandomStream random(seed, kRowStream, stream, static_cast<std::uint64_t>(row));
          s.draw.resize(d);
          for (Eigen::Index j = 0; j < d; ++j) {
            s.draw(j) = random.normal();
          }
          value += cholesky.matrixU().solve(s.draw);
          sampled.row(row) = value.transpose();
        }
      });
}

// Folds factors and biases into [p_u, b_u + mu, 1] . [q_i, 1, b_i].
Embeddings fold_embeddings(const RatingMatrix& train, const Eigen::MatrixXd& user_factors,
                           const Eigen::VectorXd& user_bias, const Eigen::MatrixXd& movie_factors,
                           const Eigen::VectorXd& movie_bias, double mean) {
  const Eigen::Index factors = user_factors.cols();
  Embeddings embeddings{train.user_ids, train.movie_ids, RowMatrix(train.user_count(), factors + 2),
                        RowMatrix(train.movie_count(), factors + 2), mean};
  embeddings.users.leftCols(factors) = user_factors.cast<float>();
  embeddings.users.col(factors) = (user_bias.array() + mean).cast<float>();
  embeddings.users.col(factors + 1).setOnes();
  embeddings.movies.leftCols(factors) = movie_factors.cast<float>();
  embeddings.movies.col(factors).setOnes();
  embeddings.movies.col(factors + 1) = movie_bias.cast<float>();
  return embeddings;
}

std::vector<bool> rows_with_ratings(const RatingRows& rows) {
  std::vector<bool> rated(static_cast<std::size_t>(rows.row_count()));
  for (std::int64_t r = 0; r < rows.row_count(); ++r) {
    rated[static_cast<std::size_t>(r)] = rows.offsets[r + 1] > rows.offsets[r];
  }
  return rated;
}

// The running posterior mean of the predictions: the factor part as a low-rank matrix and the
// biases as plain means.
class PosteriorMean {
 public:
  PosteriorMean(const RatingMatrix& train, Eigen::Index factors)
      : interaction_(factors),
        user_bias_(Eigen::VectorXd::Zero(train.user_count())),
        movie_bias_(Eigen::VectorXd::Zero(train.movie_count())) {}

  void add(const RowMatrixXd& users, const RowMatrixXd& movies) {
    const Eigen::Index factors = users.cols() - 1;
    interaction_.add(users.leftCols(factors), movies.leftCols(factors));
    const double count = interaction_.count();
    user_bias_ += (users.col(factors) - user_bias_) / count;
    movie_bias_ += (movies.col(factors) - movie_bias_) / count;
  }

  int count() const { return interaction_.count(); }

  Embeddings embeddings(const RatingMatrix& train, double mean) const {
    return fold_embeddings(train, interaction_.users(), user_bias_, interaction_.movies(),
                           movie_bias_, mean);
  }

 private:
  LowRankMean interaction_;
  Eigen::VectorXd user_bias_;
  Eigen::VectorXd movie_bias_;
};

}  // namespace

Embeddings fit_biased_mf_gibbs(const RatingMatrix& train, const BiasedMfOptions& options,
                               const IterationCallback& on_iteration) {
  if (options.factors < 1 || options.burn_in < 0 || options.samples < 1) {
    throw Error("mf: invalid gibbs options factors " + std::to_string(options.factors) +
                ", burn_in " + std::to_string(options.burn_in) + ", samples " +
                std::to_string(options.samples) +
                "; use at least 1 factor, a burn-in of 0 or more and at least 1 sample");
  }
  const int threads = resolve_thread_count(options.threads);
  const Eigen::Index factors = options.factors;
  const Eigen::Index d = factors + 1;
  const RatingRows by_user = user_rows(train);
  const RatingRows by_movie = movie_rows(train);
  const std::vector<bool> user_rated = rows_with_ratings(by_user);
  const std::vector<bool> movie_rated = rows_with_ratings(by_movie);
  const double mean = mean_rating(train);
  const auto rating_count = static_cast<double>(train.rating_count());

  // Small random movie factors and zero biases; the first sweep draws the users from them.
  RowMatrixXd users = RowMatrixXd::Zero(train.user_count(), d);
  RowMatrixXd movies = RowMatrixXd::Zero(train.movie_count(), d);
  RandomStream initial(options.seed, kInitialFactorsStream);
  for (Eigen::Index i = 0; i < movies.rows(); ++i) {
    for (Eigen::Index j = 0; j < factors; ++j) {
      movies(i, j) = 0.1 * initial.normal();
    }
  }

  const GaussianWishartPrior hyperprior = GaussianWishartPrior::standard(d);
  double noise_precision = 1.0;
  PosteriorMean posterior(train, factors);
  std::vector<RowScratch> scratch(static_cast<std::size_t>(threads));
  const int sweeps = options.burn_in + options.samples;

  for (int sweep = 1; sweep <= sweeps; ++sweep) {
    const auto key = static_cast<std::uint64_t>(sweep);
    RandomStream hyperparameters(options.seed, kHyperparameterStream, key);

    const GaussianDistribution user_prior =
        sample_gaussian_wishart_posterior(hyperprior, users, user_rated, hyperparameters);
    sample_rows(by_user, movies, users, mean,
                {user_prior, user_prior.precision * user_prior.mean, noise_precision}, options.seed,
                2 * key, threads, scratch);

    const GaussianDistribution movie_prior =
        sample_gaussian_wishart_posterior(hyperprior, movies, movie_rated, hyperparameters);
    sample_rows(by_movie, users, movies, mean,
                {movie_prior, movie_prior.precision * movie_prior.mean, noise_precision},
                options.seed, 2 * key + 1, threads, scratch);

    // The noise precision's conditional posterior is Gamma(a + n / 2, b + squared error / 2).
    const double error = sum_squared_error(train, users, movies, mean, threads);
    RandomStream noise(options.seed, kNoiseStream, key);
    noise_precision = noise.gamma(kNoiseShape + 0.5 * rating_count) / (kNoiseRate + 0.5 * error);

    if (sweep > options.burn_in) {
      posterior.add(users, movies);
    }

    const double rmse = rating_count > 0.0 ? std::sqrt(error / rating_count) : 0.0;
    spdlog::debug("mf: sweep {}/{} train_rmse {:.6f} noise_precision {:.4f}", sweep, sweeps, rmse,
                  noise_precision);
    if (on_iteration) {
      TrainingProgress progress;
      progress.iteration = sweep;
      progress.iterations = sweeps;
      progress.metrics = {{"train_rmse", rmse}, {"noise_precision", noise_precision}};
      // During burn-in the current draw replaces the posterior mean.
      progress.embeddings = [&] {
        if (posterior.count() > 0) {
          return posterior.embeddings(train, mean);
        }
        return fold_embeddings(train, users.leftCols(factors), users.col(factors),
                               movies.leftCols(factors), movies.col(factors), mean);
      };
      on_iteration(progress);
    }
  }
  return posterior.embeddings(train, mean);
}

}  // namespace recsys
