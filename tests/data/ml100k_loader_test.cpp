#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/loader.hpp"
#include "test_support.hpp"

namespace recsys::test {
namespace {

using ::testing::HasSubstr;

// A small release in the ML-100k layout: 3 genres, 3 movies, 2 users, 4 ratings.
Files small_ml100k() {
  return {
      {"u.genre", "unknown|0\nAction|1\nComedy|2\n\n"},
      {"u.occupation", "other\nwriter\n"},
      {"u.item",
       "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy|0|0|1\n"
       "2|Mis\xe9rables, Les (1995)||||0|1|0\n"
       "3|unknown||||1|0|0\n"},
      {"u.user", "1|24|M|writer|85711\n2|53|F|other|T8H1N\n"},
      {"u.data",
       "1\t1\t5\t881250949\n"
       "2\t3\t1\t881250952\n"
       "1\t2\t3\t881250950\n"
       "2\t1\t4\t881250951\n"},
  };
}

class Ml100kLoaderTest : public ::testing::Test {
 protected:
  // Writes the small release with `name` replaced by `bytes`, and returns the folder.
  std::filesystem::path write_with(const std::string& name, const std::string& bytes) {
    Files files = small_ml100k();
    files[name] = bytes;
    write_files(dir_.path() / "ml-100k", files);
    return dir_.path() / "ml-100k";
  }

  TempDir dir_;
};

TEST_F(Ml100kLoaderTest, LoadsSmallRelease) {
  Dataset dataset = load(write_with("u.genre", small_ml100k()["u.genre"]));

  EXPECT_EQ(dataset.name, "ml-100k");
  EXPECT_EQ(dataset.scale.min, 1.0F);
  EXPECT_EQ(dataset.scale.max, 5.0F);
  EXPECT_EQ(dataset.scale.step, 1.0F);
  EXPECT_EQ(dataset.genres, (std::vector<std::string>{"unknown", "Action", "Comedy"}));
  ASSERT_EQ(dataset.ratings.size(), 4U);
  EXPECT_EQ(dataset.ratings[1].user_id, 2);
  EXPECT_EQ(dataset.ratings[1].movie_id, 3);
  EXPECT_EQ(dataset.ratings[1].rating, 1.0F);
  EXPECT_EQ(dataset.ratings[1].timestamp, 881250952);
  ASSERT_EQ(dataset.users.size(), 2U);
  EXPECT_EQ(dataset.users[1].age, 53);
  EXPECT_EQ(dataset.users[1].gender, "F");
  EXPECT_EQ(dataset.users[1].occupation, "other");
  EXPECT_EQ(dataset.users[1].zip_code, "T8H1N");
  EXPECT_THAT(dataset.fingerprint, ::testing::MatchesRegex("sha256:[0-9a-f]{64}"));
}

TEST_F(Ml100kLoaderTest, MoviesGetUtf8TitlesYearsAndGenres) {
  Dataset dataset = load(write_with("u.genre", small_ml100k()["u.genre"]));

  ASSERT_EQ(dataset.movies.size(), 3U);
  EXPECT_EQ(dataset.movies[0].title, "Toy Story (1995)");
  EXPECT_EQ(dataset.movies[0].year, 1995);
  EXPECT_EQ(dataset.movies[0].genres, std::vector<std::string>{"Comedy"});
  EXPECT_EQ(dataset.movies[0].imdb_url, "http://us.imdb.com/M/title-exact?Toy");
  EXPECT_EQ(dataset.movies[1].title, "Mis\xc3\xa9rables, Les (1995)");
  EXPECT_EQ(dataset.movies[1].year, 1995);  // No release date: the year comes from the title.
  EXPECT_EQ(dataset.movies[1].imdb_url, "");
  EXPECT_EQ(dataset.movies[2].title, "unknown");
  EXPECT_FALSE(dataset.movies[2].year.has_value());
  EXPECT_EQ(dataset.movies[2].genres, std::vector<std::string>{"unknown"});
}

TEST_F(Ml100kLoaderTest, AcceptsCrlfAndLastLineWithoutNewline) {
  Dataset dataset = load(write_with("u.data", "1\t1\t5\t881250949\r\n2\t3\t1\t881250952"));
  ASSERT_EQ(dataset.ratings.size(), 2U);
  EXPECT_EQ(dataset.ratings[1].timestamp, 881250952);
}

TEST_F(Ml100kLoaderTest, RejectsHeaderLine) {
  std::string error =
      load_error(write_with("u.data", "user_id\titem_id\trating\ttimestamp\n1\t1\t5\t881250949\n"));
  EXPECT_THAT(error, HasSubstr("u.data:1: found a header line"));
  EXPECT_THAT(error, HasSubstr("user_id"));
  EXPECT_THAT(error, HasSubstr("--invalid-lines skip"));
}

TEST_F(Ml100kLoaderTest, SkipsHeaderLineWhenAsked) {
  auto dir = write_with("u.data", "user_id\titem_id\trating\ttimestamp\n1\t1\t5\t881250949\n");
  Dataset dataset = load(dir, InvalidLinePolicy::kSkip);
  ASSERT_EQ(dataset.ratings.size(), 1U);
  EXPECT_EQ(dataset.ratings[0].movie_id, 1);
}

TEST_F(Ml100kLoaderTest, RejectsHeaderLineInMovieFile) {
  Files files = small_ml100k();
  std::string error = load_error(write_with("u.item", "movie id|title\n" + files["u.item"]));
  EXPECT_THAT(error, HasSubstr("u.item:1: found a header line"));
}

TEST_F(Ml100kLoaderTest, RejectsWrongFieldCount) {
  std::string error = load_error(write_with("u.data", "1\t1\t5\t881250949\n1\t2\t3\n"));
  EXPECT_THAT(error, HasSubstr("u.data:2: expected 4 fields, found 3"));
}

TEST_F(Ml100kLoaderTest, RejectsExtraField) {
  std::string error = load_error(write_with("u.data", "1\t1\t5\t881250949\t7\n"));
  EXPECT_THAT(error, HasSubstr("u.data:1: expected 4 fields, found 5"));
}

TEST_F(Ml100kLoaderTest, RejectsWrongFieldCountInMovieFile) {
  std::string error = load_error(write_with("u.item", "1|Toy Story (1995)|01-Jan-1995||x|0|0\n"));
  EXPECT_THAT(error, HasSubstr("u.item:1: expected 8 fields, found 7"));
}

TEST_F(Ml100kLoaderTest, RejectsNonNumericUserId) {
  std::string error = load_error(write_with("u.data", "1\t1\t5\t881250949\nx1\t2\t3\t881250950\n"));
  EXPECT_THAT(error, HasSubstr("u.data:2: invalid user id \"x1\""));
}

TEST_F(Ml100kLoaderTest, RejectsNonNumericMovieId) {
  std::string error = load_error(write_with("u.data", "1\t1.5\t5\t881250949\n"));
  EXPECT_THAT(error, HasSubstr("u.data:1: invalid movie id \"1.5\""));
}

TEST_F(Ml100kLoaderTest, RejectsZeroAndNegativeIds) {
  EXPECT_THAT(load_error(write_with("u.data", "0\t1\t5\t881250949\n")),
              HasSubstr("invalid user id \"0\""));
  EXPECT_THAT(load_error(write_with("u.data", "1\t-1\t5\t881250949\n")),
              HasSubstr("invalid movie id \"-1\""));
}

TEST_F(Ml100kLoaderTest, RejectsNonNumericRatingAndTimestamp) {
  EXPECT_THAT(load_error(write_with("u.data", "1\t1\tfive\t881250949\n")),
              HasSubstr("u.data:1: invalid rating \"five\""));
  EXPECT_THAT(load_error(write_with("u.data", "1\t1\t5\t2020-01-01\n")),
              HasSubstr("u.data:1: invalid timestamp \"2020-01-01\""));
}

TEST_F(Ml100kLoaderTest, RejectsRatingsOffWholeStarScale) {
  for (std::string rating : {"0", "6", "3.5", "-1", "nan", "inf"}) {
    std::string error = load_error(write_with("u.data", "1\t1\t" + rating + "\t881250949\n"));
    EXPECT_THAT(error, HasSubstr("u.data:1:")) << rating;
    EXPECT_THAT(error, HasSubstr("\"" + rating + "\"")) << rating;
  }
  EXPECT_THAT(load_error(write_with("u.data", "1\t1\t6\t881250949\n")),
              HasSubstr("outside the ml-100k scale (whole stars from 1 to 5)"));
}

TEST_F(Ml100kLoaderTest, RejectsDuplicatePairInUnsortedFile) {
  std::string error = load_error(write_with(
      "u.data",
      "2\t1\t4\t881250951\n1\t1\t5\t881250949\n1\t2\t3\t881250950\n2\t1\t2\t881250999\n"));
  EXPECT_THAT(error, HasSubstr("u.data:4: user 2 rated movie 1 again (first on line 1)"));
}

TEST_F(Ml100kLoaderTest, RejectsDuplicatePairInSortedFile) {
  std::string error = load_error(write_with("u.data", "1\t1\t5\t881250949\n1\t1\t4\t881250950\n"));
  EXPECT_THAT(error, HasSubstr("u.data:2: user 1 rated movie 1 again (first on line 1)"));
}

TEST_F(Ml100kLoaderTest, SkipKeepsFirstOfDuplicatePair) {
  auto dir = write_with("u.data",
                        "2\t1\t4\t881250951\nbad\n1\t1\t5\t881250949\n2\t1\t2\t881250999\n"
                        "1\t2\t3\t881250950\n");
  Dataset dataset = load(dir, InvalidLinePolicy::kSkip);
  ASSERT_EQ(dataset.ratings.size(), 3U);
  EXPECT_EQ(dataset.ratings[0].rating, 4.0F);
  EXPECT_EQ(dataset.ratings[1].user_id, 1);
  EXPECT_EQ(dataset.ratings[2].movie_id, 2);
}

TEST_F(Ml100kLoaderTest, DuplicateLineNumbersCountSkippedLines) {
  std::string error = load_error(write_with("u.data",
                                            "2\t1\t4\t881250951\n\n1\t1\t5\t881250949\n\n\n"
                                            "2\t1\t2\t881250999\n"));
  EXPECT_THAT(error, HasSubstr("u.data:6: user 2 rated movie 1 again (first on line 1)"));
}

TEST_F(Ml100kLoaderTest, RejectsUnknownMovie) {
  std::string error = load_error(write_with("u.data", "1\t1\t5\t881250949\n1\t99\t3\t881250950\n"));
  EXPECT_THAT(error, HasSubstr("u.data:2: movie id 99 is not in u.item"));
}

TEST_F(Ml100kLoaderTest, RejectsUnknownUser) {
  std::string error = load_error(write_with("u.data", "7\t1\t5\t881250949\n"));
  EXPECT_THAT(error, HasSubstr("u.data:1: user id 7 is not in u.user"));
}

TEST_F(Ml100kLoaderTest, RejectsTruncatedLastLineEvenWhenSkipping) {
  auto dir = write_with("u.data", "1\t1\t5\t881250949\n1\t2\t3");
  std::string error = load_error(dir, InvalidLinePolicy::kSkip);
  EXPECT_THAT(error, HasSubstr("u.data:2: the last line has 3 of 4 fields and no newline"));
  EXPECT_THAT(error, HasSubstr("download the release again"));
}

TEST_F(Ml100kLoaderTest, RejectsStrayBytesAtEnd) {
  std::string bytes = "1\t1\t5\t881250949\n";
  bytes += std::string(3, '\0');
  std::string error = load_error(write_with("u.data", bytes), InvalidLinePolicy::kSkip);
  EXPECT_THAT(error, HasSubstr("u.data:2: stray bytes at the end of the file (00 00 00)"));
}

TEST_F(Ml100kLoaderTest, RejectsEmptyFiles) {
  for (std::string name : {"u.data", "u.item", "u.user", "u.genre", "u.occupation"}) {
    std::string error = load_error(write_with(name, ""));
    EXPECT_THAT(error, HasSubstr(name + ": the file is empty")) << name;
  }
}

TEST_F(Ml100kLoaderTest, RejectsFileWithOnlyInvalidLines) {
  std::string error = load_error(write_with("u.data", "bad line\n"), InvalidLinePolicy::kSkip);
  EXPECT_THAT(error, HasSubstr("u.data: the file contains no valid ratings"));
}

TEST_F(Ml100kLoaderTest, RejectsMissingUserFile) {
  write_with("u.data", small_ml100k()["u.data"]);
  std::filesystem::remove(dir_.path() / "ml-100k" / "u.user");
  std::string error = load_error(dir_.path() / "ml-100k");
  EXPECT_THAT(error, HasSubstr("u.user is missing"));
}

TEST_F(Ml100kLoaderTest, RejectsInvalidMovieFields) {
  EXPECT_THAT(load_error(write_with("u.item", "1|Toy Story (1995)|1995-01-01||x|0|0|1\n")),
              HasSubstr("u.item:1: invalid release date \"1995-01-01\""));
  EXPECT_THAT(load_error(write_with("u.item", "1|Toy Story (1995)|01-Foo-1995||x|0|0|1\n")),
              HasSubstr("u.item:1: invalid release date \"01-Foo-1995\""));
  EXPECT_THAT(load_error(write_with("u.item", "1|Toy Story (1995)|01-Jan-1995||x|0|2|1\n")),
              HasSubstr("u.item:1: invalid flag \"2\" for genre Action"));
  EXPECT_THAT(load_error(write_with("u.item", "1|A||||0|0|1\n1|B||||0|0|1\n")),
              HasSubstr("u.item:2: movie id 1 appears twice"));
}

TEST_F(Ml100kLoaderTest, TitleYearWinsOverReleaseDate) {
  Dataset dataset = load(write_with("u.item",
                                    "1|Boot, Das (1981)|04-Apr-1997||x|0|0|1\n2|A||||0|0|1\n"
                                    "3|B||||0|0|1\n"));
  EXPECT_EQ(dataset.movies[0].year, 1981);
}

TEST_F(Ml100kLoaderTest, AcceptsOneDigitDay) {
  Dataset dataset = load(write_with("u.item",
                                    "1|Heat|4-Feb-1971||x|0|0|1\n2|A||||0|0|1\n"
                                    "3|B||||0|0|1\n"));
  EXPECT_EQ(dataset.movies[0].year, 1971);
}

TEST_F(Ml100kLoaderTest, RejectsInvalidUserFields) {
  EXPECT_THAT(load_error(write_with("u.user", "1|24|X|writer|85711\n")),
              HasSubstr("u.user:1: invalid gender \"X\""));
  EXPECT_THAT(load_error(write_with("u.user", "1|24|M|pilot|85711\n")),
              HasSubstr("u.user:1: occupation \"pilot\" is not in u.occupation"));
}

TEST_F(Ml100kLoaderTest, RejectsGenreFileOutOfOrder) {
  std::string error = load_error(write_with("u.genre", "unknown|0\nComedy|2\n"));
  EXPECT_THAT(error, HasSubstr("u.genre:2: expected \"name|1\""));
}

TEST_F(Ml100kLoaderTest, RejectsReleaseMismatch) {
  auto dir = write_with("u.genre", small_ml100k()["u.genre"]);
  EXPECT_THAT(load_error(dir, InvalidLinePolicy::kReject, "ml-1m"),
              HasSubstr("has no ratings.dat, so it is not ml-1m (it has u.data)"));
  EXPECT_THAT(load_error(dir, InvalidLinePolicy::kReject, "ml-2k"),
              HasSubstr("unknown release \"ml-2k\""));
}

TEST_F(Ml100kLoaderTest, FingerprintChangesWithContent) {
  auto dir = write_with("u.genre", small_ml100k()["u.genre"]);
  std::string first = load(dir).fingerprint;
  EXPECT_EQ(load(dir).fingerprint, first);

  write_file(dir / "u.data", "1\t1\t4\t881250949\n");
  EXPECT_NE(load(dir).fingerprint, first);
}

TEST_F(Ml100kLoaderTest, FingerprintIgnoresFilesNotRead) {
  auto dir = write_with("u.genre", small_ml100k()["u.genre"]);
  std::string first = load(dir).fingerprint;
  write_file(dir / "README", "notes\n");
  write_file(dir / "u1.base", "1\t1\t5\t881250949\n");
  EXPECT_EQ(load(dir).fingerprint, first);
}

}  // namespace
}  // namespace recsys::test
