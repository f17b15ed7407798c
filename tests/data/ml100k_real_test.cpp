#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "data/sha256.hpp"
#include "data/split.hpp"
#include "data/summary.hpp"
#include "test_support.hpp"

namespace recsys::test {
namespace {

// Tests on the real MovieLens 100k, found through ML100K_DIR.
class RealMl100kTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (ml100k_dir().empty()) {
      GTEST_SKIP() << "set ML100K_DIR to the MovieLens 100k folder to run these tests";
    }
    if (!dataset_) {
      dataset_ = std::make_unique<Dataset>(load(ml100k_dir()));
    }
  }

  static const Dataset& dataset() { return *dataset_; }

  static std::unique_ptr<Dataset> dataset_;
};

std::unique_ptr<Dataset> RealMl100kTest::dataset_;

TEST_F(RealMl100kTest, HasPublishedCounts) {
  EXPECT_EQ(dataset().name, "ml-100k");
  EXPECT_EQ(dataset().ratings.size(), 100000U);
  EXPECT_EQ(dataset().users.size(), 943U);
  EXPECT_EQ(dataset().movies.size(), 1682U);
  EXPECT_EQ(dataset().genres.size(), 19U);

  std::set<std::int64_t> users;
  for (const Rating& rating : dataset().ratings) {
    users.insert(rating.user_id);
  }
  EXPECT_EQ(users.size(), 943U);
}

TEST_F(RealMl100kTest, FirstRatingMatchesFile) {
  const Rating& first = dataset().ratings.front();
  EXPECT_EQ(first.user_id, 196);
  EXPECT_EQ(first.movie_id, 242);
  EXPECT_EQ(first.rating, 3.0F);
  EXPECT_EQ(first.timestamp, 881250949);
}

TEST_F(RealMl100kTest, Movie543TitleIsUtf8) {
  const Movie& movie = dataset().movies[542];
  EXPECT_EQ(movie.id, 543);
  EXPECT_EQ(movie.title, "Mis\xc3\xa9rables, Les (1995)");
  EXPECT_EQ(movie.year, 1995);
}

TEST_F(RealMl100kTest, YearComesFromTitleNotReleaseDate) {
  const Movie& movie = dataset().movies[180];
  EXPECT_EQ(movie.id, 181);
  EXPECT_EQ(movie.title, "Return of the Jedi (1983)");
  EXPECT_EQ(movie.year, 1983);  // u.item's release date is 14-Mar-1997.
}

TEST_F(RealMl100kTest, Movie267HasNoData) {
  const Movie& movie = dataset().movies[266];
  EXPECT_EQ(movie.id, 267);
  EXPECT_EQ(movie.title, "unknown");
  EXPECT_FALSE(movie.year.has_value());
}

TEST_F(RealMl100kTest, FingerprintIsSameForDirectoryAndZip) {
  TempDir dir;
  write_zip(dir.path() / "ml-100k.zip", read_dir(ml100k_dir()), "ml-100k", true);
  EXPECT_EQ(load(dir.path() / "ml-100k.zip").fingerprint, dataset().fingerprint);
}

TEST_F(RealMl100kTest, FingerprintMatchesPublishedFileSums) {
  // The SHA-256 sums of the original release's files, as `sha256sum` prints them.
  std::string manifest =
      "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490  u.data\n"
      "9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb  u.genre\n"
      "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701  u.item\n"
      "cd5fbec9afe345d993a62fc7817df1a4a9079c4feb267b3118763b8fd942137d  u.occupation\n"
      "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c  u.user\n";
  EXPECT_EQ(dataset().fingerprint, "sha256:" + sha256_hex(manifest));
}

TEST_F(RealMl100kTest, OfficialSplitsHavePublishedSizes) {
  for (std::string method : {"u1", "u2", "u3", "u4", "u5"}) {
    SplitOptions options;
    options.method = method;
    Split split = make_split(dataset(), options);
    EXPECT_EQ(split.train.size(), 80000U) << method;
    EXPECT_EQ(split.test.size(), 20000U) << method;
  }
  SplitOptions ua;
  ua.method = "ua";
  Split split = make_split(dataset(), ua);
  EXPECT_EQ(split.test.size(), 9430U);  // Exactly 10 ratings per user.
  EXPECT_EQ(split.train.size(), 90570U);
}

TEST_F(RealMl100kTest, RandomAndTemporalSplits) {
  SplitOptions random;
  random.method = "random";
  Split random_split = make_split(dataset(), random);
  EXPECT_EQ(random_split.train.size() + random_split.test.size(), 100000U);
  EXPECT_NEAR(static_cast<double>(random_split.test.size()), 20000.0, 500.0);

  SplitOptions temporal;
  temporal.method = "temporal";
  Split temporal_split = make_split(dataset(), temporal);
  EXPECT_EQ(temporal_split.test.size(), 943U * 5);  // Every user has at least 20 ratings.
}

TEST_F(RealMl100kTest, SummaryListsCounts) {
  std::string summary = summarize_dataset(dataset());
  EXPECT_THAT(summary, ::testing::HasSubstr("release:      ml-100k\n"));
  EXPECT_THAT(summary, ::testing::HasSubstr("ratings:      100000\n"));
  EXPECT_THAT(summary,
              ::testing::HasSubstr("users:        943 with ratings, 943 in the user file\n"));
  EXPECT_THAT(summary, ::testing::HasSubstr("movies:       1682 (1682 rated)\n"));
  EXPECT_THAT(summary, ::testing::HasSubstr("rating scale: whole stars from 1 to 5\n"));
  EXPECT_THAT(summary, ::testing::HasSubstr("fingerprint:  " + dataset().fingerprint));
}

}  // namespace
}  // namespace recsys::test
