#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/loader.hpp"
#include "test_support.hpp"

namespace recsys::test {
namespace {

using ::testing::HasSubstr;

Files small_ml1m() {
  return {
      {"movies.dat",
       "1::Toy Story (1995)::Animation|Children's|Comedy\n"
       "2::Cit\xe9 des enfants perdus, La (1995)::Adventure|Sci-Fi\n"
       "3::Star Trek: The Motion Picture (1979)::Action|Adventure|Sci-Fi\n"},
      {"users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n"},
      {"ratings.dat",
       "1::1::5::978300760\n"
       "1::3::3::978302109\n"
       "2::2::4::978301968\n"},
  };
}

class Ml1mLoaderTest : public ::testing::Test {
 protected:
  std::filesystem::path write_with(const std::string& name, const std::string& bytes) {
    Files files = small_ml1m();
    files[name] = bytes;
    write_files(dir_.path() / "ml-1m", files);
    return dir_.path() / "ml-1m";
  }

  TempDir dir_;
};

TEST_F(Ml1mLoaderTest, LoadsSmallRelease) {
  Dataset dataset = load(write_with("ratings.dat", small_ml1m()["ratings.dat"]));

  EXPECT_EQ(dataset.name, "ml-1m");
  EXPECT_EQ(dataset.scale.step, 1.0F);
  EXPECT_EQ(dataset.genres.size(), 18U);
  ASSERT_EQ(dataset.ratings.size(), 3U);
  EXPECT_EQ(dataset.ratings[1].movie_id, 3);
  EXPECT_EQ(dataset.ratings[1].rating, 3.0F);
  EXPECT_EQ(dataset.ratings[1].timestamp, 978302109);
}

TEST_F(Ml1mLoaderTest, ParsesMoviesAndUsers) {
  Dataset dataset = load(write_with("ratings.dat", small_ml1m()["ratings.dat"]));

  ASSERT_EQ(dataset.movies.size(), 3U);
  EXPECT_EQ(dataset.movies[0].genres,
            (std::vector<std::string>{"Animation", "Children's", "Comedy"}));
  EXPECT_EQ(dataset.movies[1].title, "Cit\xc3\xa9 des enfants perdus, La (1995)");
  EXPECT_EQ(dataset.movies[2].title, "Star Trek: The Motion Picture (1979)");
  EXPECT_EQ(dataset.movies[2].year, 1979);
  ASSERT_EQ(dataset.users.size(), 2U);
  EXPECT_EQ(dataset.users[0].occupation, "K-12 student");
  EXPECT_EQ(dataset.users[0].age, 1);
  EXPECT_EQ(dataset.users[1].occupation, "self-employed");
  EXPECT_EQ(dataset.users[1].zip_code, "70072");
}

TEST_F(Ml1mLoaderTest, RejectsBadRatingLines) {
  EXPECT_THAT(load_error(write_with("ratings.dat", "1::1::5\n")),
              HasSubstr("ratings.dat:1: expected 4 fields, found 3"));
  EXPECT_THAT(load_error(write_with("ratings.dat", "1::1::0::978300760\n")),
              HasSubstr("ratings.dat:1: rating \"0\" is outside the ml-1m scale"));
  EXPECT_THAT(load_error(write_with("ratings.dat", "1::1::4.5::978300760\n")),
              HasSubstr("whole stars from 1 to 5"));
  EXPECT_THAT(load_error(write_with("ratings.dat", "1::9::4::978300760\n")),
              HasSubstr("ratings.dat:1: movie id 9 is not in movies.dat"));
  EXPECT_THAT(load_error(write_with("ratings.dat", "UserID::MovieID::Rating::Timestamp\n")),
              HasSubstr("ratings.dat:1: found a header line"));
}

TEST_F(Ml1mLoaderTest, RejectsTruncatedLastLine) {
  std::string error =
      load_error(write_with("ratings.dat", "1::1::5::978300760\n1::3"), InvalidLinePolicy::kSkip);
  EXPECT_THAT(error, HasSubstr("ratings.dat:2: the last line has 2 of 4 fields"));
}

TEST_F(Ml1mLoaderTest, RejectsUnknownGenreAndCodes) {
  EXPECT_THAT(load_error(write_with("movies.dat", "1::Toy Story (1995)::Cartoon\n")),
              HasSubstr("movies.dat:1: unknown genre \"Cartoon\""));
  EXPECT_THAT(load_error(write_with("users.dat", "1::F::2::10::48067\n")),
              HasSubstr("users.dat:1: invalid age code \"2\""));
  EXPECT_THAT(load_error(write_with("users.dat", "1::F::1::21::48067\n")),
              HasSubstr("users.dat:1: invalid occupation code \"21\": expected 0 to 20"));
}

}  // namespace
}  // namespace recsys::test
