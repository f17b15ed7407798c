#include <gtest/gtest.h>

#include <limits>

#include "database_test.hpp"
#include "db/recommendation_queries.hpp"

namespace recsys::testing {
namespace {

using PublishTest = DatabaseTest;

std::string state_of(db::Connection& connection, std::int64_t publication_id) {
  db::Result result = connection.execute("SELECT state FROM publications WHERE publication_id = $1",
                                         {std::to_string(publication_id)});
  return result.rows() > 0 ? std::string(result.text(0, 0)) : "(missing)";
}

TEST_F(PublishTest, PublishServesTheNewVersion) {
  TestModelOptions shape;
  auto model = round_trip(make_test_model(shape), work_directory_, "v1");
  auto result = publish(model, "1");

  EXPECT_EQ(result.outcome, db::PublishOutcome::published);
  EXPECT_FALSE(result.previous_publication_id.has_value());
  auto connection = connect();
  auto served = db::served_version(connection);
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(served->publication_id, result.publication_id);
  EXPECT_EQ(served->model_name, "movielens-recommender");
  EXPECT_EQ(served->model_version, "1");
  EXPECT_EQ(served->run_id, "run-1");
  EXPECT_EQ(served->dimension, shape.dimension);
  EXPECT_EQ(served->model_type, "als");
  EXPECT_EQ(served->hyperparameters.at("regularization").get<double>(), 0.05);
  EXPECT_EQ(served->metrics.at("ndcg_at_10").get<double>(), 0.25);
  EXPECT_EQ(served->dataset_name, "synthetic");
  EXPECT_EQ(served->published_at.size(), 20U) << served->published_at;

  db::Result counts = connection.execute("SELECT (SELECT count(*) FROM publication_" +
                                         std::to_string(result.publication_id) +
                                         ".movies), (SELECT count(*) FROM publication_" +
                                         std::to_string(result.publication_id) + ".users)");
  EXPECT_EQ(counts.int64(0, 0), shape.movies);
  EXPECT_EQ(counts.int64(0, 1), shape.users);
}

TEST_F(PublishTest, MeanRatingIsRecordedForTheService) {
  auto explicit_model = make_test_model({});
  explicit_model.metadata.mean_rating = 3.529860;
  publish(round_trip(explicit_model, work_directory_, "with-mean"), "with-mean");
  auto connection = connect();
  auto served = db::served_version(connection);
  ASSERT_TRUE(served.has_value());
  ASSERT_TRUE(served->mean_rating.has_value());
  EXPECT_EQ(*served->mean_rating, 3.529860);

  auto implicit_model = round_trip(make_test_model({}), work_directory_, "without-mean");
  publish(implicit_model, "without-mean");
  EXPECT_FALSE(db::served_version(connection)->mean_rating.has_value());

  auto broken = make_test_model({});
  broken.metadata.mean_rating = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(publish(broken, "nan-mean"), Error);
  EXPECT_EQ(db::served_version(connection)->model_version, "without-mean");
}

TEST_F(PublishTest, CatalogAndDemographicsRoundTrip) {
  auto model = round_trip(make_test_model({}), work_directory_, "v1");
  auto result = publish(model, "1");
  auto connection = connect();
  auto served = *db::served_version(connection);

  auto movie = db::movie(connection, served, 2);
  ASSERT_TRUE(movie.has_value());
  EXPECT_EQ(movie->title, model.movies[1].title);  // Quotes and non-ASCII letters.
  EXPECT_EQ(movie->year, model.movies[1].year);
  EXPECT_EQ(movie->genres, model.movies[1].genres);
  EXPECT_EQ(movie->imdb_url, model.movies[1].imdb_url);
  EXPECT_TRUE(movie->has_embedding);
  EXPECT_FALSE(db::movie(connection, served, 999999).has_value());

  db::Result user =
      connection.execute("SELECT age, gender, occupation, zip_code FROM publication_" +
                         std::to_string(result.publication_id) + ".users WHERE user_id = 1001");
  ASSERT_EQ(user.rows(), 1);
  EXPECT_EQ(user.int64(0, 0), model.users[1].age);
  EXPECT_EQ(user.text(0, 1), model.users[1].gender);
  EXPECT_TRUE(db::user_exists(connection, served, 1001));
  EXPECT_FALSE(db::user_exists(connection, served, 1));

  auto embedding = db::movie_embedding(connection, served, 3);
  ASSERT_TRUE(embedding.has_value());
  ASSERT_EQ(embedding->size(), static_cast<std::size_t>(model.metadata.dimension));
  for (int d = 0; d < model.metadata.dimension; ++d) {
    EXPECT_EQ((*embedding)[static_cast<std::size_t>(d)], model.embeddings.movies(2, d));
  }
}

TEST_F(PublishTest, MovieWithoutEmbeddingIsInTheCatalog) {
  auto model = make_test_model({});
  Movie extra;
  extra.id = 5000;
  extra.title = "No ratings";
  model.movies.push_back(extra);
  publish(round_trip(model, work_directory_, "v1"), "1");
  auto connection = connect();
  auto served = *db::served_version(connection);

  auto movie = db::movie(connection, served, 5000);
  ASSERT_TRUE(movie.has_value());
  EXPECT_FALSE(movie->has_embedding);
  EXPECT_FALSE(movie->year.has_value());
  EXPECT_FALSE(db::movie_embedding(connection, served, 5000).has_value());
  EXPECT_THROW(db::similar_movies(connection, served, 5000, 5), db::NotFoundError);
  for (const auto& recommended : db::recommend_for_user(connection, served, 1000, 300, {})) {
    EXPECT_NE(recommended.movie_id, 5000);
  }
}

TEST_F(PublishTest, PublishingTheServedVersionAgainDoesNothing) {
  auto model = round_trip(make_test_model({}), work_directory_, "v1");
  auto first = publish(model, "1");
  auto second = publish(model, "1");

  EXPECT_EQ(second.outcome, db::PublishOutcome::already_served);
  EXPECT_EQ(second.publication_id, first.publication_id);
  db::Result count = connection_->execute("SELECT count(*) FROM publications");
  EXPECT_EQ(count.int64(0, 0), 1);
  EXPECT_EQ(publication_schemas().size(), 1U);
}

TEST_F(PublishTest, RollbackServesThePreviousVersion) {
  auto model_1 = round_trip(make_test_model({.seed = 1}), work_directory_, "v1");
  auto model_2 = round_trip(make_test_model({.seed = 2}), work_directory_, "v2");
  auto first = publish(model_1, "1");
  auto second = publish(model_2, "2");
  ASSERT_EQ(second.previous_publication_id, first.publication_id);
  EXPECT_EQ(state_of(*connection_, first.publication_id), "standby");

  auto rolled = db::rollback(*connection_);

  EXPECT_EQ(rolled.from_publication_id, second.publication_id);
  EXPECT_EQ(rolled.to_publication_id, first.publication_id);
  EXPECT_EQ(state_of(*connection_, first.publication_id), "served");
  EXPECT_EQ(state_of(*connection_, second.publication_id), "rolled_back");
  auto connection = connect();
  auto served = *db::served_version(connection);
  EXPECT_EQ(served.model_version, "1");
  // The rolled-back version is not a target of the next rollback.
  EXPECT_THROW(db::rollback(*connection_), Error);

  // Publishing version 2 again serves its loaded tables without a new load.
  auto again = publish(model_2, "2");
  EXPECT_EQ(again.outcome, db::PublishOutcome::served_again);
  EXPECT_EQ(again.publication_id, second.publication_id);
  EXPECT_EQ(state_of(*connection_, second.publication_id), "served");
  EXPECT_EQ(state_of(*connection_, first.publication_id), "standby");
}

TEST_F(PublishTest, RollbackWalksBackThroughHistory) {
  std::vector<db::PublishResult> results;
  for (int version = 1; version <= 3; ++version) {
    auto model = round_trip(make_test_model({.seed = static_cast<std::uint64_t>(version)}),
                            work_directory_, "v" + std::to_string(version));
    results.push_back(publish(model, std::to_string(version)));
  }

  EXPECT_EQ(db::rollback(*connection_).to_publication_id, results[1].publication_id);
  EXPECT_EQ(db::rollback(*connection_).to_publication_id, results[0].publication_id);
  EXPECT_THROW(db::rollback(*connection_), Error);
}

TEST_F(PublishTest, RollbackWithNothingPublishedFails) {
  EXPECT_THROW(db::rollback(*connection_), Error);
  auto model = round_trip(make_test_model({}), work_directory_, "v1");
  publish(model, "1");
  EXPECT_THROW(db::rollback(*connection_), Error);
}

TEST_F(PublishTest, KeepDropsOlderVersions) {
  std::vector<db::PublishResult> results;
  for (int version = 1; version <= 4; ++version) {
    auto model = round_trip(make_test_model({.seed = static_cast<std::uint64_t>(version)}),
                            work_directory_, "v" + std::to_string(version));
    results.push_back(publish(model, std::to_string(version), 1));
  }

  EXPECT_EQ(state_of(*connection_, results[3].publication_id), "served");
  EXPECT_EQ(state_of(*connection_, results[2].publication_id), "standby");
  EXPECT_EQ(state_of(*connection_, results[1].publication_id), "retired");
  EXPECT_EQ(state_of(*connection_, results[0].publication_id), "retired");
  EXPECT_EQ(publication_schemas(),
            (std::vector<std::string>{"publication_" + std::to_string(results[2].publication_id),
                                      "publication_" + std::to_string(results[3].publication_id)}));
  // A retired version can be published again: it is loaded anew.
  auto model = round_trip(make_test_model({.seed = 1}), work_directory_, "v1-again");
  auto again = publish(model, "1", 1);
  EXPECT_EQ(again.outcome, db::PublishOutcome::published);
  EXPECT_NE(again.publication_id, results[0].publication_id);
}

TEST_F(PublishTest, InvalidModelChangesNothing) {
  auto good = round_trip(make_test_model({}), work_directory_, "v1");
  auto first = publish(good, "1");

  auto bad = make_test_model({.seed = 2});
  bad.embeddings.movies(5, 3) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(publish(bad, "2"), Error);

  auto uncataloged = make_test_model({.seed = 3});
  uncataloged.movies.pop_back();
  EXPECT_THROW(publish(uncataloged, "3"), Error);

  auto connection = connect();
  EXPECT_EQ(db::served_version(connection)->publication_id, first.publication_id);
  EXPECT_EQ(publication_schemas().size(), 1U);
}

TEST_F(PublishTest, InvalidOptionsAreRejected) {
  auto model = make_test_model({});
  db::PublishOptions options;
  options.model_version = "1";
  options.hnsw.m = 16;
  options.hnsw.ef_construction = 20;  // Less than 2 * m.
  EXPECT_THROW(db::publish(*connection_, model, options), Error);
  options.hnsw.ef_construction = 64;
  options.model_version = "";
  EXPECT_THROW(db::publish(*connection_, model, options), Error);
  options.model_version = "1";
  options.keep = -1;
  EXPECT_THROW(db::publish(*connection_, model, options), Error);
}

TEST_F(PublishTest, PublishRequiresMigrations) {
  connection_->execute("DROP TABLE publications, schema_migrations");
  auto model = make_test_model({});
  try {
    publish(model, "1");
    FAIL() << "publish ran without the schema";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("recsys db migrate"), std::string::npos) << e.what();
  }
}

TEST_F(PublishTest, ListPublicationsNewestFirst) {
  publish(round_trip(make_test_model({.seed = 1}), work_directory_, "v1"), "1");
  publish(round_trip(make_test_model({.seed = 2}), work_directory_, "v2"), "2");

  auto records = db::list_publications(*connection_);
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0].model_version, "2");
  EXPECT_EQ(records[0].state, "served");
  EXPECT_EQ(records[1].state, "standby");
  EXPECT_EQ(records[1].movie_count, 300);
  EXPECT_FALSE(records[1].served_at.empty());
}

}  // namespace
}  // namespace recsys::testing
