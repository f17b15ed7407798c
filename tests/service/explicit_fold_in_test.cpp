#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "service_environment.hpp"
#include "service_process.hpp"
#include "test_models.hpp"

namespace recsys::testing {
namespace {

using nlohmann::json;

json get_json(const ServiceProcess& service, const std::string& path) {
  auto result = service.client()->Get(path);
  EXPECT_TRUE(result) << path;
  if (!result) {
    return json();
  }
  EXPECT_EQ(result->status, 200) << path << ": " << result->body;
  return json::parse(result->body);
}

// POSTs the training ratings of `user_id` as a new person's and returns the response body.
json fold_in_as_new_person(const ServiceProcess& service, std::int64_t user_id) {
  json ratings = json::array();
  for (const auto& [movie_id, rating] :
       ratings_of(ServiceEnvironment::get().dataset().ratings, user_id)) {
    ratings.push_back({{"movie_id", movie_id}, {"rating", rating}});
  }
  auto result = service.client()->Post(
      "/recommendations", json{{"ratings", ratings}, {"k", 10}}.dump(), "application/json");
  EXPECT_TRUE(result);
  if (!result) {
    return json();
  }
  EXPECT_EQ(result->status, 200) << result->body;
  return json::parse(result->body);
}

// The explicit model's fold-in solves for (p, b_u) against r - mu - b_i, so it needs mu. The
// service takes it from the publication, which recorded it from model.json. A new person with
// a known user's ratings then gets that user's recommendations with nearly the same scores.
TEST(ExplicitFoldIn, UsesTheRecordedMeanRating) {
  auto& environment = ServiceEnvironment::get();
  auto directory = environment.model_directory("mf");
  environment.publish(directory, "mf-recorded");
  ServiceProcess service({}, "mf-recorded.log");
  ASSERT_TRUE(service.wait_ready()) << service.log();

  auto model = get_json(service, "/model");
  EXPECT_EQ(model["model_type"], "mf");
  EXPECT_EQ(model["mean_rating_source"], "model");
  ASSERT_TRUE(model["mean_rating"].is_number()) << model;
  EXPECT_DOUBLE_EQ(model["mean_rating"].get<double>(), recorded_mean_rating(directory));
  EXPECT_EQ(service.log().find("estimated from the user biases"), std::string::npos);

  for (std::int64_t user_id : {7, 80, 144}) {
    auto known = get_json(service, "/recommendations/" + std::to_string(user_id) + "?k=10");
    std::map<std::int64_t, double> known_scores;
    for (const auto& item : known["items"]) {
      known_scores[item["movie_id"].get<std::int64_t>()] = item["score"].get<double>();
    }
    auto folded = fold_in_as_new_person(service, user_id);
    ASSERT_EQ(folded["items"].size(), 10U) << folded;
    int overlap = 0;
    double total_difference = 0.0;
    double max_difference = 0.0;
    for (const auto& item : folded["items"]) {
      auto found = known_scores.find(item["movie_id"].get<std::int64_t>());
      if (found == known_scores.end()) {
        continue;
      }
      ++overlap;
      double difference = std::abs(item["score"].get<double>() - found->second);
      total_difference += difference;
      max_difference = std::max(max_difference, difference);
    }
    EXPECT_GE(overlap, 7) << "user " << user_id << "\nfold-in: " << folded
                          << "\nknown user: " << known;
    // Predicted ratings on the 1 to 5 scale. The fold-in is one ridge regression, where a
    // sampled model's user embedding is a posterior mean, so single scores may differ more.
    ASSERT_GT(overlap, 0);
    EXPECT_LT(total_difference / overlap, 0.1) << "user " << user_id;
    EXPECT_LT(max_difference, 0.3) << "user " << user_id;
    std::printf("user %lld: %d of 10 shared, score difference mean %.3f, max %.3f\n",
                static_cast<long long>(user_id), overlap, total_difference / overlap,
                max_difference);
  }
}

// A model directory written before mean_rating was recorded is still served. The service
// estimates mu from the user embeddings and reports that in its log and on GET /model.
TEST(ExplicitFoldIn, EstimatesTheMeanWhenTheModelRecordsNone) {
  auto& environment = ServiceEnvironment::get();
  auto recorded = environment.model_directory("mf");
  auto directory = environment.work_directory() / "model-mf-without-mean";
  std::filesystem::remove_all(directory);
  std::filesystem::copy(recorded, directory, std::filesystem::copy_options::recursive);
  auto metadata = json::parse(std::ifstream(directory / "model.json"));
  metadata.erase("mean_rating");
  std::ofstream(directory / "model.json") << metadata.dump(2) << '\n';
  environment.publish(directory, "mf-estimated");

  ServiceProcess service({}, "mf-estimated.log");
  ASSERT_TRUE(service.wait_ready()) << service.log();
  auto model = get_json(service, "/model");
  EXPECT_EQ(model["mean_rating_source"], "estimated");
  ASSERT_TRUE(model["mean_rating"].is_number()) << model;
  EXPECT_NEAR(model["mean_rating"].get<double>(), recorded_mean_rating(recorded), 0.5);
  EXPECT_NE(service.log().find("estimated from the user biases"), std::string::npos)
      << service.log();

  auto folded = fold_in_as_new_person(service, 7);
  EXPECT_EQ(folded["items"].size(), 10U) << folded;
}

}  // namespace
}  // namespace recsys::testing
