#include "evaluate/test_set_checks.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace recsys {
namespace {

using ::testing::HasSubstr;

std::string check_error(const std::vector<Rating>& test, float threshold) {
  try {
    check_test_set("u1", test, threshold);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CheckTestSet, AcceptsReachableThreshold) {
  const std::vector<Rating> test = {{1, 10, 3.0F, 0}, {1, 11, 4.0F, 0}};
  EXPECT_EQ(check_error(test, 4.0F), "");
}

TEST(CheckTestSet, RejectsNanThreshold) {
  const std::vector<Rating> test = {{1, 10, 5.0F, 0}};
  const std::string error = check_error(test, std::numeric_limits<float>::quiet_NaN());
  EXPECT_THAT(error, HasSubstr("invalid relevance threshold nan"));
  EXPECT_THAT(error, HasSubstr("--relevance-threshold 4"));
}

TEST(CheckTestSet, RejectsEmptyTestSet) {
  const std::string error = check_error({}, 4.0F);
  EXPECT_THAT(error, HasSubstr("the test set of split u1 is empty"));
}

TEST(CheckTestSet, RejectsThresholdAboveEveryRating) {
  const std::vector<Rating> test = {{1, 10, 3.0F, 0}, {2, 10, 5.0F, 0}};
  const std::string error = check_error(test, 99.0F);
  EXPECT_THAT(error, HasSubstr("reaches the relevance threshold 99 (the highest is 5)"));
  EXPECT_THAT(error, HasSubstr("lower --relevance-threshold"));
}

TEST(RequireRankedUsers, AcceptsOneRankedUser) {
  EvaluationResult result;
  result.users_evaluated = 1;
  EXPECT_NO_THROW(require_ranked_users("u1", result));
}

TEST(RequireRankedUsers, RejectsNoRankedUser) {
  EvaluationResult result;
  result.test_ratings = 7;
  result.test_ratings_skipped = 7;
  try {
    require_ranked_users("temporal", result);
    FAIL() << "accepted an evaluation that ranked no user";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("no test user of split temporal could be ranked: 7 of 7"));
  }
}

}  // namespace
}  // namespace recsys
