#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/loader.hpp"
#include "test_support.hpp"

namespace recsys::test {
namespace {

using ::testing::HasSubstr;

const std::string kRatingsHeader = "userId,movieId,rating,timestamp\n";

Files small_csv() {
  return {
      {"movies.csv",
       "movieId,title,genres\n"
       "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
       "11,\"American President, The (1995)\",Comedy|Drama|Romance\n"
       "12,\"Dracula: Dead and Loving It (1995)\",Comedy|Horror\n"
       "13,\"\"\"Great Performances\"\" Cats (1998)\",Musical\n"
       "14,Misérables (2012),(no genres listed)\n"
       "15,Cosmos,Documentary\n"},
      {"links.csv",
       "movieId,imdbId,tmdbId\n"
       "1,0114709,862\n"
       "11,0112346,9087\n"
       "15,,\n"},
      {"ratings.csv", kRatingsHeader + "1,1,4.0,964982703\n"
                                       "1,11,0.5,964981247\n"
                                       "2,12,3.5,964982224\n"
                                       "2,14,5.0,964983815\n"},
  };
}

class CsvLoaderTest : public ::testing::Test {
 protected:
  std::filesystem::path write_with(const std::string& name, const std::string& bytes,
                                   const std::string& folder = "ml-latest-small") {
    Files files = small_csv();
    files[name] = bytes;
    write_files(dir_.path() / folder, files);
    return dir_.path() / folder;
  }

  TempDir dir_;
};

TEST_F(CsvLoaderTest, LoadsSmallRelease) {
  Dataset dataset = load(write_with("ratings.csv", small_csv()["ratings.csv"]));

  EXPECT_EQ(dataset.name, "ml-latest-small");
  EXPECT_EQ(dataset.scale.min, 0.5F);
  EXPECT_EQ(dataset.scale.max, 5.0F);
  EXPECT_EQ(dataset.scale.step, 0.5F);
  EXPECT_TRUE(dataset.users.empty());
  ASSERT_EQ(dataset.ratings.size(), 4U);
  EXPECT_EQ(dataset.ratings[1].rating, 0.5F);
  EXPECT_EQ(dataset.ratings[2].rating, 3.5F);
  EXPECT_EQ(dataset.ratings[3].timestamp, 964983815);
}

TEST_F(CsvLoaderTest, ParsesQuotedTitlesGenresAndLinks) {
  Dataset dataset = load(write_with("ratings.csv", small_csv()["ratings.csv"]));

  ASSERT_EQ(dataset.movies.size(), 6U);
  EXPECT_EQ(dataset.movies[1].title, "American President, The (1995)");
  EXPECT_EQ(dataset.movies[1].genres, (std::vector<std::string>{"Comedy", "Drama", "Romance"}));
  EXPECT_EQ(dataset.movies[3].title, "\"Great Performances\" Cats (1998)");
  EXPECT_EQ(dataset.movies[3].year, 1998);
  EXPECT_EQ(dataset.movies[4].title, "Misérables (2012)");
  EXPECT_TRUE(dataset.movies[4].genres.empty());
  EXPECT_FALSE(dataset.movies[5].year.has_value());
  EXPECT_EQ(dataset.movies[0].imdb_url, "https://www.imdb.com/title/tt0114709/");
  EXPECT_EQ(dataset.movies[2].imdb_url, "");
  EXPECT_EQ(dataset.movies[5].imdb_url, "");
  EXPECT_EQ(dataset.genres.front(), "Adventure");
  EXPECT_EQ(dataset.genres.size(), 10U);
}

TEST_F(CsvLoaderTest, LinksAreOptional) {
  auto dir = write_with("ratings.csv", small_csv()["ratings.csv"]);
  std::string with_links = load(dir).fingerprint;
  std::filesystem::remove(dir / "links.csv");

  Dataset dataset = load(dir);
  EXPECT_EQ(dataset.movies[0].imdb_url, "");
  EXPECT_NE(dataset.fingerprint, with_links);
}

TEST_F(CsvLoaderTest, NamesReleaseFromFolderOrOption) {
  EXPECT_EQ(load(write_with("ratings.csv", small_csv()["ratings.csv"], "ml-25m")).name, "ml-25m");
  auto other = write_with("ratings.csv", small_csv()["ratings.csv"], "my-copy");
  EXPECT_EQ(load(other).name, "movielens-csv");
  EXPECT_EQ(load(other, InvalidLinePolicy::kReject, "ml-32m").name, "ml-32m");
}

TEST_F(CsvLoaderTest, RejectsRatingsOffHalfStarScale) {
  for (std::string rating : {"0", "0.0", "5.5", "0.25", "4.7"}) {
    std::string error =
        load_error(write_with("ratings.csv", kRatingsHeader + "1,1," + rating + ",964982703\n"));
    EXPECT_THAT(error, HasSubstr("ratings.csv:2: rating \"" + rating + "\" is outside")) << rating;
    EXPECT_THAT(error, HasSubstr("half stars from 0.5 to 5")) << rating;
  }
}

TEST_F(CsvLoaderTest, RejectsMissingHeader) {
  std::string error =
      load_error(write_with("ratings.csv", "1,1,4.0,964982703\n"), InvalidLinePolicy::kSkip);
  EXPECT_THAT(error, HasSubstr("ratings.csv:1: expected the header "
                               "\"userId,movieId,rating,timestamp\", found \"1,1,4.0,964982703\""));
}

TEST_F(CsvLoaderTest, RejectsBadRatingLines) {
  EXPECT_THAT(load_error(write_with("ratings.csv", kRatingsHeader + "1,1,4.0\n")),
              HasSubstr("ratings.csv:2: expected 4 fields, found 3"));
  EXPECT_THAT(load_error(write_with("ratings.csv", kRatingsHeader + "1,abc,4.0,964982703\n")),
              HasSubstr("ratings.csv:2: invalid movie id \"abc\""));
  EXPECT_THAT(load_error(write_with("ratings.csv", kRatingsHeader + "1,2,4.0,964982703\n")),
              HasSubstr("ratings.csv:2: movie id 2 is not in movies.csv"));
  EXPECT_THAT(load_error(write_with("ratings.csv",
                                    kRatingsHeader + "1,1,4.0,964982703\n1,1,3.0,964982704\n")),
              HasSubstr("ratings.csv:3: user 1 rated movie 1 again (first on line 2)"));
}

TEST_F(CsvLoaderTest, RejectsTruncatedLastLine) {
  std::string error =
      load_error(write_with("ratings.csv", kRatingsHeader + "1,1,4.0,964982703\n1,1"),
                 InvalidLinePolicy::kSkip);
  EXPECT_THAT(error, HasSubstr("ratings.csv:3: the last line has 2 of 4 fields"));
}

TEST_F(CsvLoaderTest, RejectsTruncatedMovieRecord) {
  Files files = small_csv();
  std::string error = load_error(write_with("movies.csv", "movieId,title,genres\n1,\"Toy Sto"),
                                 InvalidLinePolicy::kSkip);
  EXPECT_THAT(error, HasSubstr("movies.csv:2: a quoted field has no closing quote"));
  EXPECT_THAT(error, HasSubstr("truncated"));
}

TEST_F(CsvLoaderTest, RejectsInvalidUtf8EvenWhenSkipping) {
  std::string error = load_error(write_with("movies.csv",
                                            "movieId,title,genres\n1,Toy Story (1995),Comedy\n"
                                            "2,Mis\xe9rables (1995),Drama\n"),
                                 InvalidLinePolicy::kSkip);
  EXPECT_THAT(error, HasSubstr("movies.csv:3: invalid UTF-8 at byte 6"));
}

TEST_F(CsvLoaderTest, RejectsBadQuoting) {
  EXPECT_THAT(
      load_error(write_with("movies.csv", "movieId,title,genres\n1,Toy \"Story\",Comedy\n")),
      HasSubstr("movies.csv:2: field 2 contains a quote but is not quoted"));
  EXPECT_THAT(load_error(write_with("movies.csv", "movieId,title,genres\n1,\"Toy\"x,Comedy\n")),
              HasSubstr("movies.csv:2: unexpected text after the closing quote of field 2"));
}

TEST_F(CsvLoaderTest, JoinsQuotedFieldAcrossLines) {
  // RFC 4180 allows a line break inside quotes; a title must not contain one.
  std::string error = load_error(
      write_with("movies.csv", "movieId,title,genres\n1,\"Toy\nStory\",Comedy\n11,Heat,Action\n"));
  EXPECT_THAT(error, HasSubstr("movies.csv:2: the title \"Toy\\x0aStory\" contains control"));
}

TEST_F(CsvLoaderTest, RejectsLinkToUnknownMovie) {
  std::string error =
      load_error(write_with("links.csv", "movieId,imdbId,tmdbId\n99,0114709,862\n"));
  EXPECT_THAT(error, HasSubstr("links.csv:2: movie id 99 is not in movies.csv"));
}

TEST_F(CsvLoaderTest, RejectsEmptyAndHeaderOnlyFiles) {
  EXPECT_THAT(load_error(write_with("ratings.csv", "")),
              HasSubstr("ratings.csv: the file is empty"));
  EXPECT_THAT(load_error(write_with("ratings.csv", kRatingsHeader)),
              HasSubstr("ratings.csv: the file contains no valid ratings"));
  EXPECT_THAT(load_error(write_with("movies.csv", "movieId,title,genres\n")),
              HasSubstr("movies.csv: the file contains no valid movies"));
}

}  // namespace
}  // namespace recsys::test
