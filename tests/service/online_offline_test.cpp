#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "service_environment.hpp"
#include "service_process.hpp"
#include "test_models.hpp"

namespace recsys::testing {
namespace {

// For every ML-100k user, the service's top 10 (HNSW search in PostgreSQL) must match the
// model's exact top 10 by inner product, rated movies left out, in at least 99% of positions.
TEST(OnlineOffline, TopTenMatchesTheModelOnMovieLens100k) {
  const char* movielens = std::getenv("ML100K_DIR");
  if (movielens == nullptr || *movielens == '\0') {
    GTEST_SKIP() << "ML100K_DIR is not set: set it to a MovieLens 100k directory";
  }
  auto& environment = ServiceEnvironment::get();
  auto model_dir = environment.work_directory() / "model-ml100k";
  train_movielens_model(movielens, model_dir);
  environment.publish(model_dir, "ml100k");

  ServiceProcess service({"--threads", "2"}, "online-offline.log");
  ASSERT_TRUE(service.wait_ready()) << service.log();
  auto expected = exact_top_k(model_dir, 10);
  ASSERT_EQ(expected.size(), 943U);

  auto http = service.client();
  http->set_keep_alive(true);
  long positions = 0;
  long matches = 0;
  for (const auto& [user_id, top] : expected) {
    auto result = http->Get("/recommendations/" + std::to_string(user_id) + "?k=10");
    ASSERT_TRUE(result) << "user " << user_id;
    ASSERT_EQ(result->status, 200) << result->body;
    auto items = nlohmann::json::parse(result->body)["items"];
    ASSERT_EQ(items.size(), top.size()) << "user " << user_id;
    for (std::size_t i = 0; i < top.size(); ++i) {
      ++positions;
      matches += items[i]["movie_id"].get<std::int64_t>() == top[i] ? 1 : 0;
    }
  }
  double share = static_cast<double>(matches) / static_cast<double>(positions);
  RecordProperty("matching_positions", std::to_string(matches) + "/" + std::to_string(positions));
  std::printf("online equals offline: %ld of %ld top-10 positions match (%.2f%%)\n", matches,
              positions, 100.0 * share);
  EXPECT_GE(share, 0.99) << matches << " of " << positions << " positions match";
}

}  // namespace
}  // namespace recsys::testing
