#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "database_test.hpp"
#include "db/publication_tables.hpp"
#include "db/recommendation_queries.hpp"
#include "db/search_statements.hpp"

namespace recsys::testing {
namespace {

// Returns the k best movie ids for user row `user_row` by brute force, leaving out rated
// movies and movies failing `keep`.
template <typename Keep>
std::vector<std::pair<double, std::int64_t>> exact_top_k(const ModelDirectory& model,
                                                         std::size_t user_row, std::size_t k,
                                                         bool exclude_rated, Keep keep) {
  std::set<std::int64_t> rated;
  for (const auto& [user, movie] : model.train_ratings) {
    if (static_cast<std::size_t>(user) == user_row) {
      rated.insert(model.embeddings.movie_ids[static_cast<std::size_t>(movie)]);
    }
  }
  std::vector<std::pair<double, std::int64_t>> scored;
  const auto& embeddings = model.embeddings;
  for (std::size_t i = 0; i < embeddings.movie_ids.size(); ++i) {
    std::int64_t id = embeddings.movie_ids[i];
    if ((exclude_rated && rated.contains(id)) || !keep(model.movies[i])) {
      continue;
    }
    double score = embeddings.users.row(static_cast<Eigen::Index>(user_row))
                       .cast<double>()
                       .dot(embeddings.movies.row(static_cast<Eigen::Index>(i)).cast<double>());
    scored.emplace_back(score, id);
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  scored.resize(std::min(scored.size(), k));
  return scored;
}

class QueriesTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    // Every 40th movie is "Rare": 8 of 300.
    model_ = round_trip(make_test_model({.rare_genre_every = 40}), work_directory_, "v1");
    publish(model_, "1");
    connection_ = std::make_unique<db::Connection>(connect());
    served_ = *db::served_version(*connection_);
  }

  ModelDirectory model_;
  db::ServedVersion served_;
};

TEST_F(QueriesTest, UserRecommendationsMatchExactSearch) {
  for (std::size_t user_row : {0UL, 17UL, 99UL}) {
    std::int64_t user_id = model_.embeddings.user_ids[user_row];
    auto movies = db::recommend_for_user(*connection_, served_, user_id, 10, {});
    auto expected = exact_top_k(model_, user_row, 10, true, [](const Movie&) { return true; });

    ASSERT_EQ(movies.size(), 10U) << "user " << user_id;
    for (std::size_t i = 0; i < movies.size(); ++i) {
      EXPECT_EQ(movies[i].movie_id, expected[i].second) << "user " << user_id << " rank " << i;
      EXPECT_NEAR(movies[i].score, expected[i].first, 1e-4);
    }
    EXPECT_TRUE(std::is_sorted(movies.begin(), movies.end(),
                               [](const auto& a, const auto& b) { return a.score > b.score; }));
  }
}

TEST_F(QueriesTest, RatedMoviesAreExcludedUnlessRequested) {
  std::set<std::int64_t> rated;
  for (const auto& [user, movie] : model_.train_ratings) {
    if (user == 0) {
      rated.insert(model_.embeddings.movie_ids[static_cast<std::size_t>(movie)]);
    }
  }
  ASSERT_FALSE(rated.empty());
  std::int64_t user_id = model_.embeddings.user_ids[0];
  int all = static_cast<int>(model_.movies.size());

  auto without = db::recommend_for_user(*connection_, served_, user_id, all, {});
  EXPECT_EQ(without.size(), model_.movies.size() - rated.size());
  for (const auto& movie : without) {
    EXPECT_FALSE(rated.contains(movie.movie_id)) << movie.movie_id;
  }

  db::RecommendationFilter include;
  include.include_rated = true;
  auto with = db::recommend_for_user(*connection_, served_, user_id, all, include);
  EXPECT_EQ(with.size(), model_.movies.size());
}

TEST_F(QueriesTest, GenreFilterReturnsOnlyThatGenre) {
  db::RecommendationFilter filter;
  filter.genre = "Film-Noir";
  auto movies = db::recommend_for_user(*connection_, served_, 1000, 10, filter);

  ASSERT_EQ(movies.size(), 10U);
  for (const auto& movie : movies) {
    EXPECT_NE(std::find(movie.genres.begin(), movie.genres.end(), "Film-Noir"), movie.genres.end())
        << movie.movie_id;
  }
  auto expected = exact_top_k(model_, 0, 10, true, [](const Movie& movie) {
    return std::find(movie.genres.begin(), movie.genres.end(), "Film-Noir") != movie.genres.end();
  });
  for (std::size_t i = 0; i < movies.size(); ++i) {
    EXPECT_EQ(movies[i].movie_id, expected[i].second) << "rank " << i;
  }
}

TEST_F(QueriesTest, YearRangeIsInclusive) {
  db::RecommendationFilter filter;
  filter.year_from = 1990;
  filter.year_to = 1991;
  filter.include_rated = true;
  auto movies = db::recommend_for_user(*connection_, served_, 1000, 100, filter);

  // Years run 1950 + (i % 70), so 1990 and 1991 each have 300 / 70 rounded: 9 movies.
  std::size_t matching = 0;
  for (const auto& movie : model_.movies) {
    matching += (*movie.year >= 1990 && *movie.year <= 1991) ? 1 : 0;
  }
  EXPECT_EQ(movies.size(), matching);
  for (const auto& movie : movies) {
    ASSERT_TRUE(movie.year.has_value());
    EXPECT_GE(*movie.year, 1990);
    EXPECT_LE(*movie.year, 1991);
  }
}

TEST_F(QueriesTest, RareGenreReturnsKRowsWhenKExist) {
  std::size_t rare = 0;
  for (const auto& movie : model_.movies) {
    rare += std::count(movie.genres.begin(), movie.genres.end(), "Rare");
  }
  ASSERT_EQ(rare, 8U);
  db::RecommendationFilter filter;
  filter.genre = "Rare";
  filter.include_rated = true;

  EXPECT_EQ(db::recommend_for_user(*connection_, served_, 1000, 5, filter).size(), 5U);
  EXPECT_EQ(db::recommend_for_user(*connection_, served_, 1000, 8, filter).size(), 8U);
  EXPECT_EQ(db::recommend_for_user(*connection_, served_, 1000, 50, filter).size(), 8U);

  // With the iterative scan cut short, the exact search still finds all of them.
  connection_->execute("SET hnsw.max_scan_tuples = 1");
  connection_->execute("SET hnsw.ef_search = 1");
  auto movies = db::recommend_for_user(*connection_, served_, 1000, 8, filter);
  EXPECT_EQ(movies.size(), 8U);
}

TEST_F(QueriesTest, FilterValuesAreNeverSql) {
  const std::vector<std::string> attacks = {
      "Comedy'; DROP TABLE publications; --",
      "' OR '1'='1",
      "Comedy\" OR 1=1 --",
      "Comedy); DELETE FROM publications WHERE (true",
      "$1",
      "\\'; SELECT pg_sleep(10); --",
  };
  for (const auto& attack : attacks) {
    db::RecommendationFilter filter;
    filter.genre = attack;
    EXPECT_TRUE(db::recommend_for_user(*connection_, served_, 1000, 10, filter).empty()) << attack;
    EXPECT_TRUE(db::similar_movies(*connection_, served_, 1, 10, filter).empty()) << attack;
  }
  db::Result count = connection_->execute("SELECT count(*) FROM publications");
  EXPECT_EQ(count.int64(0, 0), 1);
}

TEST_F(QueriesTest, UnknownIdsAreNotFound) {
  EXPECT_THROW(db::recommend_for_user(*connection_, served_, 42, 10, {}), db::NotFoundError);
  EXPECT_THROW(db::similar_movies(*connection_, served_, 999999, 10), db::NotFoundError);
}

// Returns how often the server planned, and so ran, the prepared statement `name` on this
// connection.
std::int64_t executions(db::Connection& connection, const std::string& name) {
  db::Result result = connection.execute(
      "SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE name = $1", {name});
  return result.rows() > 0 ? result.int64(0, 0) : -1;
}

// An unknown id is settled by the index search and a primary-key lookup: the exact search,
// which scores every movie, must not run for it. A filter that matches nothing still runs it.
TEST_F(QueriesTest, UnknownIdsNeverRunTheExactSearch) {
  auto user_search = db::prepare_user_search(*connection_, served_);
  auto similar_search = db::prepare_similar_search(*connection_, served_);

  EXPECT_THROW(db::recommend_for_user(*connection_, served_, 42, 10, {}), db::NotFoundError);
  db::RecommendationFilter rare;
  rare.genre = "Rare";
  EXPECT_THROW(db::recommend_for_user(*connection_, served_, -1, 10, rare), db::NotFoundError);
  EXPECT_THROW(db::similar_movies(*connection_, served_, 999999, 10), db::NotFoundError);
  EXPECT_EQ(executions(*connection_, user_search.approximate), 2);
  EXPECT_EQ(executions(*connection_, user_search.exact), 0);
  EXPECT_EQ(executions(*connection_, similar_search.approximate), 1);
  EXPECT_EQ(executions(*connection_, similar_search.exact), 0);

  db::RecommendationFilter nothing;
  nothing.genre = "No such genre";
  EXPECT_TRUE(db::recommend_for_user(*connection_, served_, 1000, 10, nothing).empty());
  EXPECT_EQ(executions(*connection_, user_search.exact), 1);
}

// check_health throws for a broken connection, which the pool replaces, and returns false
// for a server that responds without the recsys schema.
TEST_F(QueriesTest, HealthCheckReportsALostConnection) {
  auto connection = connect();
  ASSERT_TRUE(db::check_health(connection));
  std::string pid(connection.execute("SELECT pg_backend_pid()").text(0, 0));
  // The second argument makes pg_terminate_backend wait until the backend has exited.
  db::Result terminated =
      connection_->execute("SELECT pg_terminate_backend($1::integer, 10000)", {pid});
  ASSERT_EQ(terminated.text(0, 0), "t");

  try {
    db::check_health(connection);
    FAIL() << "check_health hid a terminated connection";
  } catch (const db::DatabaseError& e) {
    EXPECT_TRUE(e.connection_lost()) << e.what();
  }

  auto without_schema = connect();
  without_schema.execute("SET search_path = pg_catalog");
  EXPECT_FALSE(db::check_health(without_schema));
}

TEST_F(QueriesTest, InvalidRequestsAreRejected) {
  EXPECT_THROW(db::recommend_for_user(*connection_, served_, 1000, 0, {}), db::InvalidRequestError);
  EXPECT_THROW(db::recommend_for_user(*connection_, served_, 1000, db::kMaxResults + 1, {}),
               db::InvalidRequestError);
  db::RecommendationFilter reversed;
  reversed.year_from = 2000;
  reversed.year_to = 1990;
  EXPECT_THROW(db::recommend_for_user(*connection_, served_, 1000, 10, reversed),
               db::InvalidRequestError);
  std::vector<float> short_vector(3, 1.0F);
  EXPECT_THROW(db::recommend_for_vector(*connection_, served_, short_vector, 10, {}),
               db::InvalidRequestError);
}

TEST_F(QueriesTest, VectorSearchMatchesUserSearch) {
  std::vector<float> vector(model_.embeddings.users.row(0).begin(),
                            model_.embeddings.users.row(0).end());
  std::vector<std::int64_t> rated;
  for (const auto& [user, movie] : model_.train_ratings) {
    if (user == 0) {
      rated.push_back(model_.embeddings.movie_ids[static_cast<std::size_t>(movie)]);
    }
  }
  auto by_vector = db::recommend_for_vector(*connection_, served_, vector, 10, {}, rated);
  auto by_user = db::recommend_for_user(*connection_, served_, 1000, 10, {});

  ASSERT_EQ(by_vector.size(), by_user.size());
  for (std::size_t i = 0; i < by_user.size(); ++i) {
    EXPECT_EQ(by_vector[i].movie_id, by_user[i].movie_id) << "rank " << i;
    EXPECT_NEAR(by_vector[i].score, by_user[i].score, 1e-5);
  }
}

TEST_F(QueriesTest, SimilarMoviesLeaveOutTheMovie) {
  auto movies = db::similar_movies(*connection_, served_, 7, 10);
  ASSERT_EQ(movies.size(), 10U);
  for (const auto& movie : movies) {
    EXPECT_NE(movie.movie_id, 7);
  }
  double expected = model_.embeddings.movies.row(6).cast<double>().dot(
      model_.embeddings.movies.row(movies[0].movie_id - 1).cast<double>());
  EXPECT_NEAR(movies[0].score, expected, 1e-4);
}

TEST_F(QueriesTest, HealthCheckAndSessionSettings) {
  EXPECT_TRUE(db::check_health(*connection_));
  db::Result ef = connection_->execute("SHOW hnsw.ef_search");
  EXPECT_EQ(ef.text(0, 0), std::to_string(db::SearchSettings{}.ef_search));
  db::Result mode = connection_->execute("SHOW hnsw.iterative_scan");
  EXPECT_EQ(mode.text(0, 0), "relaxed_order");
  EXPECT_THROW(db::configure_session(*connection_, {.ef_search = 0}), Error);
}

// On a catalog large enough for the planner to prefer the index, the service's statement
// must scan the HNSW index, with and without a filter, in its first (custom) plans and in the
// generic plan that PostgreSQL may switch to after five executions.
TEST_F(DatabaseTest, LargeCatalogSearchUsesTheHnswIndex) {
  auto model = make_test_model({.movies = 20000, .users = 50, .dimension = 32});
  publish(model, "large");
  auto connection = connect();
  auto served = *db::served_version(connection);
  auto statements = db::prepare_user_search(connection, served);

  for (int run = 0; run < 8; ++run) {
    db::RecommendationFilter filter;
    if (run % 2 == 1) {
      filter.genre = "Comedy";
    }
    EXPECT_EQ(db::recommend_for_user(connection, served, 1000 + run, 10, filter).size(), 10U);
  }
  for (const char* mode : {"auto", "force_generic_plan"}) {
    connection.execute(std::string("SET plan_cache_mode = ") + mode);
    for (const char* genre : {"NULL", "'Comedy'"}) {
      db::Result plan =
          connection.execute("EXPLAIN (ANALYZE, COSTS OFF) EXECUTE " + statements.approximate +
                             "(1000, 10, " + genre + ", NULL, NULL, false)");
      std::string text;
      for (int row = 0; row < plan.rows(); ++row) {
        text += std::string(plan.text(row, 0)) + "\n";
      }
      EXPECT_NE(text.find("Index Scan using movies_embedding_hnsw"), std::string::npos)
          << mode << ", genre " << genre << ":\n"
          << text;
      EXPECT_NE(text.find("hashed SubPlan"), std::string::npos) << text;
    }
  }
}

}  // namespace
}  // namespace recsys::testing
