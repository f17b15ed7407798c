#include "train/implicit_als.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "train_test_support.hpp"

namespace recsys::test {
namespace {

using ::testing::HasSubstr;

// Planted clusters plus a few ratings across clusters, so that the fit is not exact.
PlantedClusters noisy_clusters() {
  PlantedClusters data = planted_clusters(90, 60, 3, 0.5, 7);
  std::mt19937_64 random(11);
  for (std::int64_t u = 1; u <= 90; u += 3) {
    const std::int64_t movie = 1 + static_cast<std::int64_t>(random() % 60);
    const bool rated = std::any_of(data.ratings.begin(), data.ratings.end(), [&](const Rating& r) {
      return r.user_id == u && r.movie_id == movie;
    });
    if (!rated) {
      data.ratings.push_back({u, movie, 2.0F, 0});
    }
  }
  return data;
}

ImplicitAlsOptions small_als_options() {
  ImplicitAlsOptions options;
  options.factors = 8;
  options.regularization = 1.0;
  options.alpha = 1.0;
  options.iterations = 12;
  options.threads = 2;
  return options;
}

std::vector<double> losses_of(const ImplicitAlsOptions& options, const RatingMatrix& matrix) {
  std::vector<double> losses;
  ImplicitAls model(options);
  model.fit(matrix, [&](const TrainingProgress& progress) {
    losses.push_back(progress.metrics.at("train_loss"));
  });
  return losses;
}

TEST(ImplicitAls, ObjectiveDecreasesWithConjugateGradient) {
  const PlantedClusters data = noisy_clusters();
  const RatingMatrix matrix = build_rating_matrix(data.ratings, data.catalog);
  const std::vector<double> losses = losses_of(small_als_options(), matrix);

  ASSERT_EQ(losses.size(), 12U);
  for (std::size_t k = 1; k < losses.size(); ++k) {
    EXPECT_LT(losses[k], losses[k - 1]) << "iteration " << k + 1;
  }
}

TEST(ImplicitAls, ObjectiveDecreasesWithCholesky) {
  const PlantedClusters data = noisy_clusters();
  const RatingMatrix matrix = build_rating_matrix(data.ratings, data.catalog);
  ImplicitAlsOptions options = small_als_options();
  options.solver = "cholesky";
  options.confidence = "log";
  const std::vector<double> losses = losses_of(options, matrix);

  ASSERT_EQ(losses.size(), 12U);
  for (std::size_t k = 1; k < losses.size(); ++k) {
    EXPECT_LT(losses[k], losses[k - 1]) << "iteration " << k + 1;
  }
}

TEST(ImplicitAls, ObjectiveMatchesDenseSum) {
  const std::vector<Rating> ratings = {
      {1, 1, 5.0F, 0}, {1, 3, 2.0F, 0}, {2, 2, 4.0F, 0}, {3, 1, 1.0F, 0}, {3, 4, 3.0F, 0}};
  const CatalogIds catalog{{1, 2, 3}, {1, 2, 3, 4}};
  const RatingMatrix matrix = build_rating_matrix(ratings, catalog);
  ImplicitAlsOptions options;
  options.regularization = 0.7;
  options.alpha = 2.0;
  RowMatrix users = RowMatrix::Random(3, 4);
  RowMatrix movies = RowMatrix::Random(4, 4);

  // Every (user, movie) pair, rated or not, summed directly.
  double expected = 0.0;
  for (int u = 0; u < 3; ++u) {
    for (int i = 0; i < 4; ++i) {
      double preference = 0.0;
      double confidence = 1.0;
      for (const Rating& r : ratings) {
        if (r.user_id == u + 1 && r.movie_id == i + 1) {
          preference = 1.0;
          confidence = 1.0 + 2.0 * r.rating;
        }
      }
      const double score = users.row(u).cast<double>().dot(movies.row(i).cast<double>());
      expected += confidence * (preference - score) * (preference - score);
    }
  }
  expected += 0.7 * (users.cast<double>().squaredNorm() + movies.cast<double>().squaredNorm());

  EXPECT_NEAR(implicit_als_objective(matrix, users, movies, options), expected, 1e-5 * expected);
}

// Returns the share of each user's top-5 unrated movies that lie in the user's cluster.
double share_in_own_cluster(const Embeddings& embeddings, const PlantedClusters& data,
                            const RatingMatrix& matrix) {
  int hits = 0;
  int total = 0;
  for (Eigen::Index u = 0; u < embeddings.users.rows(); ++u) {
    Eigen::VectorXf scores = embeddings.movies * embeddings.users.row(u).transpose();
    for (std::int64_t k = matrix.user_offsets[u]; k < matrix.user_offsets[u + 1]; ++k) {
      scores(matrix.user_movies[k]) = -1e30F;
    }
    std::vector<int> order(static_cast<std::size_t>(scores.size()));
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + 5, order.end(),
                      [&](int a, int b) { return scores(a) > scores(b); });
    for (int rank = 0; rank < 5; ++rank) {
      hits += data.cluster_of_movie(embeddings.movie_ids[order[rank]]) ==
              data.cluster_of_user(embeddings.user_ids[u]);
      ++total;
    }
  }
  return static_cast<double>(hits) / total;
}

TEST(ImplicitAls, RecoversPlantedClusters) {
  const PlantedClusters data = planted_clusters(90, 60, 3, 0.5, 3);
  const RatingMatrix matrix = build_rating_matrix(data.ratings, data.catalog);
  for (const std::string solver : {"cg", "cholesky"}) {
    ImplicitAlsOptions options = small_als_options();
    options.solver = solver;
    const Embeddings embeddings = ImplicitAls(options).fit(matrix, nullptr);
    EXPECT_GE(share_in_own_cluster(embeddings, data, matrix), 0.95) << solver;
  }
}

TEST(ImplicitAls, SameSeedGivesBitwiseEqualEmbeddings) {
  const PlantedClusters data = noisy_clusters();
  const RatingMatrix matrix = build_rating_matrix(data.ratings, data.catalog);
  ImplicitAlsOptions options = small_als_options();
  const Embeddings first = ImplicitAls(options).fit(matrix, nullptr);
  const Embeddings second = ImplicitAls(options).fit(matrix, nullptr);
  EXPECT_TRUE(first.users == second.users);
  EXPECT_TRUE(first.movies == second.movies);

  // Rows are solved independently, so even another thread count gives the same bits.
  options.threads = 3;
  const Embeddings third = ImplicitAls(options).fit(matrix, nullptr);
  EXPECT_TRUE(first.users == third.users);
  EXPECT_TRUE(first.movies == third.movies);

  options.seed = 43;
  const Embeddings other_seed = ImplicitAls(options).fit(matrix, nullptr);
  EXPECT_FALSE(first.users == other_seed.users);
}

TEST(ImplicitAls, UnratedMovieGetsZeroFactors) {
  PlantedClusters data = planted_clusters(30, 12, 3, 0.6, 5);
  data.catalog.movie_ids.push_back(100);
  const RatingMatrix matrix = build_rating_matrix(data.ratings, data.catalog);
  const Embeddings embeddings = ImplicitAls(small_als_options()).fit(matrix, nullptr);
  ASSERT_EQ(embeddings.movie_ids.back(), 100);
  EXPECT_EQ(embeddings.movies.bottomRows(1).squaredNorm(), 0.0F);
  EXPECT_GT(embeddings.movies.topRows(12).squaredNorm(), 0.0F);
}

TEST(ImplicitAls, ReportsEveryIterationWithEmbeddings) {
  const PlantedClusters data = planted_clusters(30, 12, 3, 0.6, 5);
  const RatingMatrix matrix = build_rating_matrix(data.ratings, data.catalog);
  ImplicitAlsOptions options = small_als_options();
  options.iterations = 3;
  std::vector<int> iterations;
  ImplicitAls(options).fit(matrix, [&](const TrainingProgress& progress) {
    iterations.push_back(progress.iteration);
    EXPECT_EQ(progress.iterations, 3);
    EXPECT_EQ(progress.embeddings().users.rows(), 30);
  });
  EXPECT_EQ(iterations, (std::vector<int>{1, 2, 3}));
}

TEST(ImplicitAlsOptions, ReadsAndValidatesJson) {
  const auto options = ImplicitAlsOptions::from_json(
      {{"factors", 16}, {"alpha", 2.5}, {"solver", "cholesky"}, {"seed", 9}});
  EXPECT_EQ(options.factors, 16);
  EXPECT_DOUBLE_EQ(options.alpha, 2.5);
  EXPECT_EQ(options.solver, "cholesky");
  EXPECT_EQ(options.seed, 9U);
  EXPECT_EQ(options.iterations, ImplicitAlsOptions{}.iterations);
  EXPECT_EQ(ImplicitAlsOptions::from_json(options.to_json()).to_json(), options.to_json());
}

TEST(ImplicitAlsOptions, RejectsInvalidValues) {
  auto message = [](const nlohmann::json& values) {
    try {
      ImplicitAlsOptions::from_json(values);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message({{"factors", 0}}), HasSubstr("factors"));
  EXPECT_THAT(message({{"factors", 2.5}}), HasSubstr("not an integer"));
  EXPECT_THAT(message({{"alpha", 0}}), HasSubstr("alpha"));
  EXPECT_THAT(message({{"solver", "lu"}}), HasSubstr("'lu' is not one of cg, cholesky"));
  EXPECT_THAT(message({{"factor", 8}}), HasSubstr("no hyperparameter 'factor'"));
  EXPECT_THAT(message({{"seed", -1}}), HasSubstr("seed"));
  EXPECT_THAT(message(nlohmann::json::array()), HasSubstr("JSON object"));
}

}  // namespace
}  // namespace recsys::test
