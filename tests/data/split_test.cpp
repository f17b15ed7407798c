#include "data/split.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "test_support.hpp"

namespace recsys::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Ratings of `users` users on 1..`per_user` movies, with timestamps that run backwards so
// that file order and time order differ.
std::vector<Rating> make_ratings(int users, int per_user) {
  std::vector<Rating> ratings;
  for (int user = 1; user <= users; ++user) {
    for (int movie = 1; movie <= per_user; ++movie) {
      ratings.push_back(
          Rating{user, movie, static_cast<float>(1 + movie % 5), 1000 - movie * 10 + user});
    }
  }
  return ratings;
}

Dataset make_dataset(int users, int per_user) {
  Dataset dataset;
  dataset.name = "test";
  dataset.ratings = make_ratings(users, per_user);
  return dataset;
}

std::set<std::pair<std::int64_t, std::int64_t>> pairs(const std::vector<Rating>& ratings) {
  std::set<std::pair<std::int64_t, std::int64_t>> result;
  for (const Rating& rating : ratings) {
    result.emplace(rating.user_id, rating.movie_id);
  }
  return result;
}

std::map<std::int64_t, int> count_by_user(const std::vector<Rating>& ratings) {
  std::map<std::int64_t, int> counts;
  for (const Rating& rating : ratings) {
    ++counts[rating.user_id];
  }
  return counts;
}

SplitOptions random_options(double fraction, std::uint64_t seed) {
  SplitOptions options;
  options.method = "random";
  options.test_fraction = fraction;
  options.seed = seed;
  return options;
}

TEST(RandomSplitTest, HoldsOutFractionPerUser) {
  Dataset dataset = make_dataset(30, 20);
  Split split = make_split(dataset, random_options(0.2, 7));

  EXPECT_EQ(split.name, "random");
  EXPECT_EQ(split.train.size() + split.test.size(), dataset.ratings.size());
  for (const auto& [user, count] : count_by_user(split.test)) {
    EXPECT_EQ(count, 4) << "user " << user;
  }
  auto train_pairs = pairs(split.train);
  for (const auto& pair : pairs(split.test)) {
    EXPECT_FALSE(train_pairs.contains(pair));
  }
}

TEST(RandomSplitTest, SameSeedSameSplit) {
  Dataset dataset = make_dataset(30, 20);
  Split first = make_split(dataset, random_options(0.2, 7));
  Split second = make_split(dataset, random_options(0.2, 7));
  Split other = make_split(dataset, random_options(0.2, 8));
  EXPECT_EQ(pairs(first.test), pairs(second.test));
  EXPECT_NE(pairs(first.test), pairs(other.test));
}

TEST(RandomSplitTest, IndependentOfFileOrder) {
  Dataset dataset = make_dataset(10, 15);
  Dataset reversed = dataset;
  std::reverse(reversed.ratings.begin(), reversed.ratings.end());
  EXPECT_EQ(pairs(make_split(dataset, random_options(0.3, 1)).test),
            pairs(make_split(reversed, random_options(0.3, 1)).test));
}

TEST(RandomSplitTest, KeepsFileOrder) {
  Dataset dataset = make_dataset(5, 10);
  Split split = make_split(dataset, random_options(0.5, 3));
  auto position = [&dataset](const Rating& rating) {
    return std::find_if(dataset.ratings.begin(), dataset.ratings.end(),
                        [&rating](const Rating& r) {
                          return r.user_id == rating.user_id && r.movie_id == rating.movie_id;
                        }) -
           dataset.ratings.begin();
  };
  for (std::size_t i = 1; i < split.test.size(); ++i) {
    EXPECT_LT(position(split.test[i - 1]), position(split.test[i]));
  }
}

TEST(RandomSplitTest, KeepsOneTrainingRatingPerUser) {
  Dataset dataset = make_dataset(3, 1);
  dataset.ratings.push_back(Rating{9, 1, 3.0F, 5});
  dataset.ratings.push_back(Rating{9, 2, 3.0F, 6});
  Split split = make_split(dataset, random_options(0.9, 1));
  EXPECT_EQ(count_by_user(split.train).size(), 4U);
  EXPECT_EQ(split.test.size(), 1U);
  EXPECT_EQ(split.test[0].user_id, 9);
}

TEST(RandomSplitTest, RejectsFractionOutOfRange) {
  Dataset dataset = make_dataset(2, 5);
  for (double fraction : {0.0, 1.0, -0.1, 1.5}) {
    try {
      make_split(dataset, random_options(fraction, 1));
      ADD_FAILURE() << "accepted test fraction " << fraction;
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("invalid test fraction"));
    }
  }
}

TEST(TemporalSplitTest, HoldsOutLatestRatings) {
  Dataset dataset = make_dataset(4, 10);
  SplitOptions options;
  options.method = "temporal";
  options.holdout = 3;
  Split split = make_split(dataset, options);

  EXPECT_EQ(split.name, "temporal");
  ASSERT_EQ(split.test.size(), 12U);
  // Timestamps fall with the movie id, so the latest three are movies 1, 2 and 3.
  for (const Rating& rating : split.test) {
    EXPECT_LE(rating.movie_id, 3) << "user " << rating.user_id;
  }
}

TEST(TemporalSplitTest, BreaksTiesByMovieId) {
  Dataset dataset;
  dataset.ratings = {Rating{1, 30, 4, 100}, Rating{1, 10, 4, 100}, Rating{1, 20, 4, 100},
                     Rating{1, 5, 4, 50}};
  SplitOptions options;
  options.method = "temporal";
  options.holdout = 2;
  Split split = make_split(dataset, options);
  EXPECT_EQ(pairs(split.test), (std::set<std::pair<std::int64_t, std::int64_t>>{{1, 20}, {1, 30}}));
}

TEST(TemporalSplitTest, DefaultHoldoutIsFive) {
  EXPECT_EQ(SplitOptions{}.holdout, 5);
  Dataset dataset = make_dataset(2, 3);
  SplitOptions options;
  options.method = "temporal";
  Split split = make_split(dataset, options);
  EXPECT_EQ(split.test.size(), 4U);  // Each user keeps one of three ratings for training.
}

TEST(TemporalSplitTest, RejectsHoldoutBelowOne) {
  SplitOptions options;
  options.method = "temporal";
  options.holdout = 0;
  EXPECT_THROW(make_split(make_dataset(2, 3), options), Error);
}

TEST(SplitTest, RejectsUnknownMethod) {
  SplitOptions options;
  options.method = "u6";
  try {
    make_split(make_dataset(2, 3), options);
    FAIL() << "accepted method u6";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown split method \"u6\""));
  }
}

class OfficialSplitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    files_ = {
        {"u.genre", "unknown|0\nDrama|1\n"},
        {"u.occupation", "other\n"},
        {"u.item", "1|A (1995)|01-Jan-1995||x|0|1\n2|B (1995)|01-Jan-1995||x|0|1\n"},
        {"u.user", "1|30|M|other|00000\n2|40|F|other|00000\n"},
        {"u.data", "1\t1\t4\t10\n1\t2\t5\t11\n2\t1\t3\t12\n2\t2\t2\t13\n"},
        {"u1.base", "1\t1\t4\t10\n2\t1\t3\t12\n2\t2\t2\t13\n"},
        {"u1.test", "1\t2\t5\t11\n"},
    };
  }

  TempDir dir_;
  Files files_;
};

TEST_F(OfficialSplitTest, ReadsBaseAndTestFromDirectory) {
  write_files(dir_.path() / "ml-100k", files_);
  Split split = make_split(load(dir_.path() / "ml-100k"), SplitOptions{});
  EXPECT_EQ(split.name, "u1");
  ASSERT_EQ(split.train.size(), 3U);
  ASSERT_EQ(split.test.size(), 1U);
  EXPECT_EQ(split.test[0].movie_id, 2);
  EXPECT_EQ(split.test[0].rating, 5.0F);
}

TEST_F(OfficialSplitTest, ReadsBaseAndTestFromZip) {
  write_zip(dir_.path() / "ml-100k.zip", files_, "ml-100k");
  Split split = make_split(load(dir_.path() / "ml-100k.zip"), SplitOptions{});
  EXPECT_EQ(split.train.size(), 3U);
  EXPECT_EQ(split.test.size(), 1U);
}

TEST_F(OfficialSplitTest, RejectsMissingSplitFiles) {
  write_files(dir_.path() / "ml-100k", files_);
  SplitOptions options;
  options.method = "ua";
  try {
    make_split(load(dir_.path() / "ml-100k"), options);
    FAIL() << "split ua without ua.base";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("the ua split needs the files ua.base and ua.test"));
    EXPECT_THAT(e.what(), HasSubstr("has no ua.base"));
    EXPECT_THAT(e.what(), HasSubstr("use the random or temporal split"));
  }
}

TEST_F(OfficialSplitTest, DirectoryInPlaceOfSplitFileIsNamed) {
  files_.erase("u1.test");
  write_files(dir_.path() / "ml-100k", files_);
  std::filesystem::create_directory(dir_.path() / "ml-100k" / "u1.test");
  try {
    make_split(load(dir_.path() / "ml-100k"), SplitOptions{});
    FAIL() << "u1.test is a directory";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("u1.test is not a regular file"));
    EXPECT_THAT(e.what(), Not(HasSubstr("only ML-100k ships them")));
  }
}

TEST_F(OfficialSplitTest, RejectsBadLineInSplitFile) {
  files_["u1.test"] = "1\t2\t7\t11\n";
  write_files(dir_.path() / "ml-100k", files_);
  try {
    make_split(load(dir_.path() / "ml-100k"), SplitOptions{});
    FAIL() << "accepted rating 7";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("u1.test:1: rating \"7\" is outside the ml-100k scale"));
  }
}

TEST_F(OfficialSplitTest, SkipsBadLineWhenAsked) {
  files_["u1.base"] += "2\t2\t7\t14\n";
  write_files(dir_.path() / "ml-100k", files_);
  SplitOptions options;
  options.invalid_lines = InvalidLinePolicy::kSkip;
  Split split = make_split(load(dir_.path() / "ml-100k"), options);
  EXPECT_EQ(split.train.size(), 3U);
  EXPECT_EQ(split.test.size(), 1U);
}

TEST_F(OfficialSplitTest, RejectsRatingInBothFiles) {
  files_["u1.test"] = "1\t2\t5\t11\n2\t1\t3\t12\n";
  write_files(dir_.path() / "ml-100k", files_);
  try {
    make_split(load(dir_.path() / "ml-100k"), SplitOptions{});
    FAIL() << "accepted a test rating that is also in u1.base";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("u1.test repeats the rating of movie 1 by user 2 from "
                                    "u1.base"));
    EXPECT_THAT(e.what(), HasSubstr("restore the original ML-100k files"));
  }
}

TEST(CarveValidationTest, HoldsOutFractionDeterministically) {
  std::vector<Rating> train = make_ratings(20, 10);
  Split first = carve_validation(train, 0.1, 5);
  Split second = carve_validation(train, 0.1, 5);

  EXPECT_EQ(first.name, "validation");
  EXPECT_EQ(first.test.size(), 20U);
  EXPECT_EQ(first.train.size(), 180U);
  EXPECT_EQ(pairs(first.test), pairs(second.test));
  EXPECT_NE(pairs(first.test), pairs(carve_validation(train, 0.1, 6).test));
}

TEST(CarveValidationTest, DrawsIndependentlyOfRandomSplit) {
  Dataset dataset = make_dataset(20, 10);
  Split split = make_split(dataset, random_options(0.5, 5));
  Split validation = carve_validation(dataset.ratings, 0.5, 5);
  EXPECT_NE(pairs(split.test), pairs(validation.test));
}

}  // namespace
}  // namespace recsys::test
