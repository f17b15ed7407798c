#include "tracking/promotion.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace recsys::tracking {
namespace {

PromotionCandidate candidate(const std::string& version, double value,
                             const std::string& fingerprint = "sha256:aa",
                             const std::string& split = "random") {
  return {version, value, fingerprint, split};
}

TEST(Promotion, FirstVersionBecomesChampion) {
  const auto decision = decide_promotion(candidate("1", 0.2), std::nullopt, "ndcg_at_10", false);
  EXPECT_TRUE(decision.promote);
  EXPECT_NE(decision.reason.find("no version has the alias"), std::string::npos);
}

TEST(Promotion, ChampionItselfKeepsAlias) {
  const auto decision =
      decide_promotion(candidate("3", 0.2), candidate("3", 0.2), "ndcg_at_10", false);
  EXPECT_TRUE(decision.promote);
  EXPECT_NE(decision.reason.find("champion already"), std::string::npos);
}

TEST(Promotion, HigherNdcgWins) {
  const auto decision =
      decide_promotion(candidate("2", 0.31), candidate("1", 0.30), "ndcg_at_10", false);
  EXPECT_TRUE(decision.promote);
  EXPECT_NE(decision.reason.find("0.31 vs 0.3"), std::string::npos);
}

TEST(Promotion, EqualOrLowerNdcgLoses) {
  EXPECT_FALSE(
      decide_promotion(candidate("2", 0.30), candidate("1", 0.30), "ndcg_at_10", false).promote);
  const auto decision =
      decide_promotion(candidate("2", 0.29), candidate("1", 0.30), "ndcg_at_10", false);
  EXPECT_FALSE(decision.promote);
  EXPECT_NE(decision.reason.find("not better"), std::string::npos);
}

TEST(Promotion, LowerRmseWins) {
  EXPECT_TRUE(lower_is_better("rmse"));
  EXPECT_TRUE(lower_is_better("mae"));
  EXPECT_TRUE(lower_is_better("train_loss"));
  EXPECT_FALSE(lower_is_better("recall_at_10"));
  EXPECT_TRUE(decide_promotion(candidate("2", 0.90), candidate("1", 0.95), "rmse", false).promote);
  EXPECT_FALSE(decide_promotion(candidate("2", 0.99), candidate("1", 0.95), "rmse", false).promote);
}

TEST(Promotion, DifferentDataSetOrSplitIsNotComparable) {
  const auto other_data =
      decide_promotion(candidate("2", 0.9, "sha256:bb"), candidate("1", 0.1), "ndcg_at_10", false);
  EXPECT_FALSE(other_data.promote);
  EXPECT_NE(other_data.reason.find("not comparable"), std::string::npos);
  EXPECT_NE(other_data.reason.find("--force-promotion"), std::string::npos);
  const auto other_split = decide_promotion(candidate("2", 0.9, "sha256:aa", "temporal"),
                                            candidate("1", 0.1), "ndcg_at_10", false);
  EXPECT_FALSE(other_split.promote);
}

TEST(Promotion, ForceOverridesEverything) {
  EXPECT_TRUE(
      decide_promotion(candidate("2", 0.1, "sha256:bb"), candidate("1", 0.9), "ndcg_at_10", true)
          .promote);
}

TEST(Promotion, NonFiniteCandidateIsNeverPromoted) {
  for (const double value :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()}) {
    for (const bool force : {false, true}) {
      const auto over_champion =
          decide_promotion(candidate("2", value), candidate("1", 0.1), "ndcg_at_10", force);
      EXPECT_FALSE(over_champion.promote) << value;
      EXPECT_NE(over_champion.reason.find("not a finite number"), std::string::npos)
          << over_champion.reason;
      EXPECT_FALSE(
          decide_promotion(candidate("1", value), std::nullopt, "ndcg_at_10", force).promote)
          << value;
    }
  }
}

TEST(Promotion, FiniteCandidateReplacesChampionWithoutValue) {
  const auto over_nan = decide_promotion(candidate("2", 0.05),
                                         candidate("1", std::numeric_limits<double>::quiet_NaN()),
                                         "ndcg_at_10", false);
  EXPECT_TRUE(over_nan.promote);
  EXPECT_NE(over_nan.reason.find("champion's ndcg_at_10 is nan"), std::string::npos)
      << over_nan.reason;

  PromotionCandidate missing = candidate("1", 0.0);
  missing.metric_value.reset();
  const auto over_missing = decide_promotion(candidate("2", 0.05), missing, "rmse", false);
  EXPECT_TRUE(over_missing.promote);
  EXPECT_NE(over_missing.reason.find("champion's rmse is missing"), std::string::npos)
      << over_missing.reason;

  PromotionCandidate no_value = candidate("2", 0.0);
  no_value.metric_value.reset();
  const auto neither = decide_promotion(no_value, missing, "rmse", false);
  EXPECT_FALSE(neither.promote);
  EXPECT_NE(neither.reason.find("neither"), std::string::npos) << neither.reason;
}

TEST(Promotion, MessageRoundsMetricValues) {
  const auto decision = decide_promotion(candidate("2", 0.38012345678901234),
                                         candidate("1", 0.3512345678), "ndcg_at_10", false);
  EXPECT_TRUE(decision.promote);
  EXPECT_NE(decision.reason.find("ndcg_at_10 0.3801 vs 0.3512 (higher is better)"),
            std::string::npos)
      << decision.reason;

  const auto forced =
      decide_promotion(candidate("2", 0.1234567), candidate("1", 0.9876543), "ndcg_at_10", true);
  EXPECT_NE(forced.reason.find("(ndcg_at_10 0.1235 vs 0.9877)"), std::string::npos)
      << forced.reason;
  EXPECT_NE(forced.reason.find("--force-promotion"), std::string::npos) << forced.reason;
}

// Values equal at 4 digits get the digits that tell them apart, so the message never reads
// "0.38 vs 0.38, not better" for values that differ.
TEST(Promotion, MessageShowsDigitsThatDiffer) {
  const auto decision =
      decide_promotion(candidate("2", 0.380011), candidate("1", 0.380014), "ndcg_at_10", false);
  EXPECT_FALSE(decision.promote);
  EXPECT_NE(decision.reason.find("0.380011 vs 0.380014"), std::string::npos) << decision.reason;

  const auto equal =
      decide_promotion(candidate("2", 0.25), candidate("1", 0.25), "ndcg_at_10", false);
  EXPECT_NE(equal.reason.find("0.25 vs 0.25"), std::string::npos) << equal.reason;
}

}  // namespace
}  // namespace recsys::tracking
